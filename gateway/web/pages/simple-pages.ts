/** Pages without their own data: start, signed out, errors. */
import { ERROR_CATALOGUE, type ErrorCode } from '../../core/index.js';
import { html } from '../html.js';
import { translateOptional, translator, type Lang } from '../i18n.js';
import { renderPage, type FrameUser } from '../layout.js';

interface Frame {
  readonly lang: Lang;
  readonly path: string;
  readonly user?: FrameUser;
}

export function homePage(frame: Frame): string {
  const t = translator(frame.lang);
  return renderPage({
    ...frame,
    title: t('home.title'),
    body: html`<h1>${t('home.title')}</h1>
      <p>${t('home.intro')}</p>
      ${frame.user ? '' : html`<p><a class="button" href="/auth/login">${t('home.login')}</a></p>`}`,
  });
}

export function loggedOutPage(frame: Frame): string {
  const t = translator(frame.lang);
  return renderPage({
    ...frame,
    title: t('loggedOut.title'),
    body: html`<h1>${t('loggedOut.title')}</h1>
      <p>${t('loggedOut.text')}</p>
      <p><a class="button" href="/auth/login">${t('site.login')}</a></p>`,
  });
}

/** An error page naming the code (the same codes as the API, docs/errors.md); never internal detail. */
export function errorPage(frame: Frame, code: ErrorCode): { status: number; body: string } {
  const t = translator(frame.lang);
  const text = translateOptional(frame.lang, `error.${code}`) ?? t('error.other');
  return {
    status: ERROR_CATALOGUE[code].status,
    body: renderPage({
      ...frame,
      title: t('error.title'),
      body: html`<h1>${t('error.title')}</h1>
        <p class="problem" role="alert">${text}</p>
        <p>${t('error.code')}: <code id="error-code">${code}</code></p>
        ${code === 'ERR_AUTH' ? html`<p><a href="/auth/login">${t('site.login')}</a></p>` : ''}
        <p><a href="/">${t('error.home')}</a></p>`,
    }),
  };
}
