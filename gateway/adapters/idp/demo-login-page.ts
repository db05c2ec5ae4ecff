/**
 * The demo OpenID Provider's own pages: login, logout confirmation, errors. Small, semantic and accessible
 * (labels, one h1, landmarks, visible focus), styled by one static file (no inline style or script, so the
 * provider's pages run under a strict Content-Security-Policy). Every interpolated value is escaped.
 */

const escape = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export const DEMO_IDP_CSS = `
body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #f4f4f4; line-height: 1.5; }
main { max-width: 28rem; margin: 3rem auto; background: #fff; padding: 1.5rem 2rem; border: 1px solid #767676; }
h1 { font-size: 1.5rem; margin-top: 0; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: .5rem; border: 1px solid #595959; }
button { font: inherit; margin-top: 1.25rem; padding: .5rem 1.25rem; background: #00466e; color: #fff; border: 2px solid #00466e; cursor: pointer; }
button.secondary { background: #fff; color: #00466e; }
:focus-visible { outline: 3px solid #b34700; outline-offset: 2px; }
.error { color: #a00000; font-weight: 600; }
.hint { font-size: .9rem; color: #444; }
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} – Demo-Identitätsanbieter</title>
<link rel="stylesheet" href="/idp.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

/** The login form: login name (IDNr or `dpo`) and password. */
export function demoLoginPage(options: { action: string; failed?: boolean; login?: string }): string {
  const error = options.failed
    ? '<p class="error" role="alert" id="login-error">Benutzerkennung oder Passwort ist falsch.</p>'
    : '';
  const described = options.failed ? ' aria-describedby="login-error"' : '';
  return page(
    'Anmelden',
    `<h1>Anmelden beim Demo-Identitätsanbieter</h1>
<p class="hint">Nur für die Vorführung: Bürgerinnen und Bürger melden sich mit ihrer Identifikationsnummer an,
die Datenschutzbeauftragte mit <code>dpo</code>; das Passwort ist <code>demo</code>.</p>
${error}
<form method="post" action="${escape(options.action)}">
<label for="login">Benutzerkennung (IDNr)</label>
<input id="login" name="login" autocomplete="username" required value="${escape(options.login ?? '')}"${described}>
<label for="password">Passwort</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<button type="submit">Anmelden</button>
</form>`,
  );
}

/** The confirmation of an RP-initiated logout; `form` is oidc-provider's hidden form with its xsrf token. */
export function demoLogoutPage(form: string): string {
  return page(
    'Abmelden',
    `<h1>Beim Identitätsanbieter abmelden?</h1>
${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Ja, abmelden</button>
<button type="submit" form="op.logoutForm" class="secondary">Nein, angemeldet bleiben</button>`,
  );
}

export function demoErrorPage(title: string, text: string): string {
  return page(title, `<h1>${escape(title)}</h1>\n<p>${escape(text)}</p>`);
}
