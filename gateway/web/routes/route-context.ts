/**
 * What every group of the portal's routes gets from gateway/web/create-web-router.ts: the router's options, the
 * guards, the pages' Content-Security-Policy, and the frames (language, path, user) the pages are drawn in.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../../core/index.js';
import { frameUser, langOf, type Guards } from '../guards.js';
import type { OidcLogin } from '../oidc-login.js';
import type { ConsentFrame } from '../pages/consent-pages.js';
import type { DpoFrame } from '../pages/dpo-shared.js';
import type { Session, SessionManager } from '../sessions.js';
import type { WebServices } from '../services.js';

export interface WebRouterOptions {
  readonly services: WebServices;
  readonly sessions: SessionManager;
  readonly login: OidcLogin;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The portal's own origin (scheme://host:port), from its redirect URI. */
  readonly origin: string;
  /** The identity provider's origin, the one other place a form (logout) may lead to. */
  readonly issuerOrigin: string;
}

export interface RouteContext {
  readonly options: WebRouterOptions;
  readonly guards: Guards;
  /** The pages' Content-Security-Policy; a page whose form leads elsewhere widens its form-action. */
  readonly csp: string;
}

/** The frame of a citizen's page: with the time and participant names the consent pages show. */
export function consentFrame(
  options: WebRouterOptions,
  req: Request,
  res: Response,
  session: Session,
): ConsentFrame {
  return {
    lang: langOf(res),
    path: req.originalUrl,
    user: frameUser(session),
    nowMs: options.clock.nowMs(),
    participantName: options.services.participantName,
  };
}

/** The frame of a DPO's page. */
export function dpoFrame(req: Request, res: Response, session: Session): DpoFrame {
  return { lang: langOf(res), path: req.originalUrl, user: frameUser(session) };
}
