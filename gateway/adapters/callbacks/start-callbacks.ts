/**
 * Sets callbacks up for the composition root (docs/callbacks.md): reads the secrets, checks them against the
 * participant registry and starts the dispatcher on what the outbox holds pending.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CallbackOutbox, Clock, TrustStore } from '../../core/ports.js';
import { loadCallbackSecrets } from '../files/load-callback-secrets.js';
import { createCallbackDispatcher, type CallbackDispatcher } from './create-callback-dispatcher.js';

/** The callback settings (gateway/config.ts `callbacks`). */
export interface CallbackSettings {
  readonly secretsFile: string;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
  readonly maxPending: number;
  readonly maxPendingPerConsumer: number;
}

export interface StartCallbacksOptions {
  readonly settings: CallbackSettings;
  /** The storage's outbox (bootstrap/open-storage.ts), bounded by the settings' maxPending values. */
  readonly outbox: CallbackOutbox;
  readonly trust: TrustStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Demo mode: http:// callback URLs on loopback hosts are called. */
  readonly demo: boolean;
  /** The published example secrets file, whose file mode is not checked. */
  readonly exampleSecretsFile: string;
}

/**
 * Builds and starts the dispatcher. Throws a plain Error (start-up fails) if the secrets file cannot be read, is
 * malformed, or may be read by group or others (except the published example file, or in demo mode).
 */
export function startCallbacks(options: StartCallbacksOptions): CallbackDispatcher {
  const { settings, trust, logger, demo } = options;
  const example = settings.secretsFile === options.exampleSecretsFile;
  const { secrets, permissive } = loadCallbackSecrets(settings.secretsFile, {
    allowPermissive: demo || example,
  });
  if (permissive) {
    logger.warn(
      { event: 'callback.secrets-permissive', example },
      'callback.secrets-permissive: the callback secrets file is readable by group or others',
    );
  }
  for (const participant of trust.participants()) {
    if (participant.callbackUrl !== undefined && !secrets.has(participant.id)) {
      logger.warn(
        { event: 'callback.no-secret', consumer: participant.id },
        'callback.no-secret: a callback URL is registered but no secret, so it is never called',
      );
    }
    if (participant.callbackUrl?.startsWith('http:') && !demo) {
      logger.warn(
        { event: 'callback.http-url', consumer: participant.id },
        'callback.http-url: http callback URLs are only called in demo mode',
      );
    }
  }
  const dispatcher = createCallbackDispatcher({
    outbox: options.outbox,
    trust,
    secrets,
    clock: options.clock,
    logger,
    maxAttempts: settings.maxAttempts,
    baseDelayMs: settings.baseDelayMs,
    maxDelayMs: settings.maxDelayMs,
    timeoutMs: settings.timeoutMs,
    allowHttp: demo,
    registry: options.registry,
  });
  dispatcher.start();
  return dispatcher;
}
