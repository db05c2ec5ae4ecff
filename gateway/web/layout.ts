/**
 * The frame of every portal page: `lang` attribute, skip link, header with navigation (only pages that exist),
 * language switch that keeps the page, the signed-in person and a logout form (POST with the CSRF token), one
 * `main` landmark and a footer. Styles come from /static/portal.css only; no script.
 */
import { html, type Html } from './html.js';
import { LANGUAGES, translate, type Lang, type MessageKey } from './i18n.js';

/** Who is signed in, as far as the frame needs to know. */
export interface FrameUser {
  readonly role: 'citizen' | 'dpo';
  readonly name: string;
  readonly csrf: string;
}

export interface NavItem {
  readonly href: string;
  readonly label: MessageKey;
}

/** The navigation per role: every page a role has, and only those. */
export const NAVIGATION: Readonly<Record<FrameUser['role'], readonly NavItem[]>> = {
  citizen: [
    { href: '/meine-daten', label: 'nav.consents' },
    { href: '/meine-daten/einwilligungsanfragen', label: 'nav.requests' },
    { href: '/meine-daten/vorschau', label: 'nav.previews' },
    { href: '/meine-daten/uebermittlungen', label: 'nav.myTransfers' },
  ],
  dpo: [
    { href: '/dpo', label: 'nav.dashboard' },
    { href: '/dpo/uebermittlungen', label: 'nav.transfers' },
    { href: '/dpo/statistik', label: 'nav.statistics' },
    { href: '/dpo/verarbeitungen', label: 'nav.processing' },
  ],
};

export interface PageOptions {
  readonly lang: Lang;
  /** The request path and query, for the language switch and aria-current. */
  readonly path: string;
  readonly title: string;
  readonly user?: FrameUser;
  readonly body: Html;
}

/** The path with `lang` set to `lang` and every other query parameter kept. */
export function withLang(path: string, lang: Lang): string {
  const url = new URL(path, 'http://portal.invalid');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

export function renderPage(options: PageOptions): string {
  const { lang, user } = options;
  const t = (key: MessageKey, params?: Record<string, string>) => translate(lang, key, params);
  const currentPath = new URL(options.path, 'http://portal.invalid').pathname;
  const nav = user
    ? html`<nav aria-label="${t('site.nav')}">
        <ul>
          ${NAVIGATION[user.role].map(
            (item) =>
              html`<li>
                <a href="${item.href}" ${currentPath === item.href ? html`aria-current="page"` : ''}
                  >${t(item.label)}</a
                >
              </li>`,
          )}
        </ul>
      </nav>`
    : '';
  const account = user
    ? html`<div class="account">
        <span>${t('site.signedInAs', { name: user.name })}</span>
        <form method="post" action="/auth/logout">
          <input type="hidden" name="_csrf" value="${user.csrf}" />
          <button type="submit">${t('site.logout')}</button>
        </form>
      </div>`
    : html`<div class="account"><a href="/auth/login">${t('site.login')}</a></div>`;
  const langSwitch = html`<nav class="lang-switch" aria-label="${t('site.language')}">
    <ul>
      ${LANGUAGES.map(
        (l) =>
          html`<li>
            <a
              href="${withLang(options.path, l)}"
              lang="${l}"
              hreflang="${l}"
              aria-current="${l === lang ? 'true' : 'false'}"
              >${translate(l, l === 'de' ? 'site.language.de' : 'site.language.en')}</a
            >
          </li>`,
      )}
    </ul>
  </nav>`;
  return `<!DOCTYPE html>\n${html`<html lang="${lang}">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${options.title} – ${t('site.title')}</title>
      <link rel="stylesheet" href="/static/portal.css" />
    </head>
    <body>
      <a class="skip-link" href="#main">${t('site.skip')}</a>
      <header class="site">
        <a class="brand" href="/">${t('site.title')}</a>
        ${nav} ${langSwitch} ${account}
      </header>
      <main id="main" tabindex="-1">${options.body}</main>
      <footer class="site"><p>${t('site.footer')}</p></footer>
    </body>
  </html>`}`;
}
