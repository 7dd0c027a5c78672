import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * The server-rendered pages of /authorize: sign-in, consent, error and the form_post response.
 * No external asset, no inline script except the form_post page's one line (admitted by a
 * per-response nonce), every user-controlled text escaped, and a strict Content-Security-Policy.
 */

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * The CSP `form-action` source for a redirect URI: its origin (http/https) or its scheme (a native
 * app's private-use scheme). Chromium applies form-action to the redirects that follow a form
 * submission, so the sign-in and consent forms must be allowed to end up at the redirect URI.
 */
export function formActionSource(redirectUri: string): string | null {
  try {
    const url = new URL(redirectUri);
    if (url.protocol === 'http:' || url.protocol === 'https:') return /^[A-Za-z0-9.:[\]/-]+$/.test(url.origin) ? url.origin : null;
    return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? url.protocol : null;
  } catch {
    return null;
  }
}

export function pageCsp(options: { styleNonce: string; scriptNonce?: string; formAction: string[] }): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${options.styleNonce}'`,
    options.scriptNonce ? `script-src 'nonce-${options.scriptNonce}'` : "script-src 'none'",
    'img-src data:',
    `form-action ${options.formAction.length > 0 ? options.formAction.join(' ') : "'none'"}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers of every /authorize response, page or redirect: never stored, never framed, no Referer. */
export const AUTHORIZE_HEADERS = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
};

const STYLE = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f3f4f6;color:#111827;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:100%;max-width:26rem;margin:1rem;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06)}
h1{margin:0 0 .25rem;font-size:1.375rem}
p{margin:.5rem 0}
.sub{color:#4b5563;margin-bottom:1.25rem}
label{display:block;margin:1rem 0 .25rem;font-weight:600;font-size:.9375rem}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.625rem .75rem;border:1px solid #9ca3af;border-radius:.375rem;font:inherit}
input:focus,button:focus{outline:3px solid #93c5fd;outline-offset:1px}
button{font:inherit;font-weight:600;padding:.625rem 1rem;border-radius:.375rem;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1f2937;border-color:#9ca3af}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}
.actions button{flex:1}
.alert{margin:1rem 0 0;padding:.625rem .75rem;border-radius:.375rem;background:#fef2f2;color:#991b1b;border:1px solid #fecaca}
ul.scopes{list-style:none;padding:0;margin:1rem 0;border:1px solid #e5e7eb;border-radius:.5rem}
ul.scopes li{padding:.625rem .75rem;border-top:1px solid #e5e7eb}
ul.scopes li:first-child{border-top:0}
.scope-value{display:block;font:.8125rem ui-monospace,SFMono-Regular,Menlo,monospace;color:#6b7280}
.who{font-size:.875rem;color:#4b5563}
`;

interface Page {
  title: string;
  body: string;
  /** Extra form-action sources besides 'self' (or instead of it, with `formActionSelf: false`). */
  formAction?: string[];
  formActionSelf?: boolean;
  script?: string;
}

function render(page: Page): { html: string; csp: string } {
  const styleNonce = randomBytes(16).toString('base64');
  const scriptNonce = page.script ? randomBytes(16).toString('base64') : undefined;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escapeHtml(page.title)}</title>
<link rel="icon" href="data:,">
<style nonce="${styleNonce}">${STYLE}</style>
</head>
<body>
<main>
${page.body}
</main>
${page.script ? `<script nonce="${scriptNonce}">${page.script}</script>\n` : ''}</body>
</html>
`;
  const formAction = [...(page.formActionSelf === false ? [] : ["'self'"]), ...(page.formAction ?? [])];
  return { html, csp: pageCsp({ styleNonce, scriptNonce, formAction }) };
}

export function sendPage(reply: FastifyReply, status: number, page: Page): FastifyReply {
  const { html, csp } = render(page);
  return reply
    .code(status)
    .headers({ ...AUTHORIZE_HEADERS, 'Content-Security-Policy': csp })
    .type('text/html; charset=utf-8')
    .send(html);
}

const hidden = (name: string, value: string) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;

export function errorPage(reply: FastifyReply, status: number, title: string, detail: string): FastifyReply {
  return sendPage(reply, status, {
    title: `${title} · Sign in`,
    formAction: [],
    formActionSelf: false,
    body: `<h1>${escapeHtml(title)}</h1>
<p role="alert">${escapeHtml(detail)}</p>
<p class="sub">Go back to the application and try again.</p>`,
  });
}

/** The page of a request the database could not serve right now: 503, to be retried. */
export function temporarilyUnavailablePage(reply: FastifyReply): FastifyReply {
  return errorPage(
    reply.header('Retry-After', '1'),
    503,
    'Temporarily unavailable',
    'The service is temporarily unavailable. Try again in a moment.',
  );
}

/** Where a form's submission may end up besides 'self': the client's redirect URI, when there is one. */
function redirectTarget(redirectUri: string | undefined): string[] {
  const target = redirectUri === undefined ? null : formActionSource(redirectUri);
  return target ? [target] : [];
}

export interface LoginPageInput {
  /** Where the form posts (the flow's sign-in route). */
  action: string;
  applicationName: string;
  tx: string;
  csrf: string;
  email?: string;
  error?: string;
  /** The client's redirect URI, where the flow may end (CSP form-action); none for a flow without one. */
  redirectUri?: string;
}

export function loginPage(reply: FastifyReply, status: number, input: LoginPageInput): FastifyReply {
  return sendPage(reply, status, {
    title: 'Sign in',
    formAction: redirectTarget(input.redirectUri),
    body: `<h1>Sign in</h1>
<p class="sub">to continue to <strong>${escapeHtml(input.applicationName)}</strong></p>
<form method="post" action="${escapeHtml(input.action)}" novalidate>
${hidden('tx', input.tx)}
${hidden('csrf', input.csrf)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${escapeHtml(input.email ?? '')}"${input.email ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${input.email ? ' autofocus' : ''}>
${input.error ? `<p class="alert" role="alert" id="login-error">${escapeHtml(input.error)}</p>` : ''}
<div class="actions"><button type="submit">Sign in</button></div>
</form>`,
  });
}

export interface ConsentPageInput {
  /** Where the form posts (the flow's consent route). */
  action: string;
  applicationName: string;
  /** The API asked for; null when the request is only about the user's identity (OpenID Connect without an API). */
  apiName: string | null;
  userEmail: string;
  scopes: { value: string; description: string }[];
  tx: string;
  csrf: string;
  /** As for the sign-in page. */
  redirectUri?: string;
}

export function consentPage(reply: FastifyReply, input: ConsentPageInput): FastifyReply {
  const app = `<strong>${escapeHtml(input.applicationName)}</strong>`;
  const api = input.apiName === null ? null : `<strong>${escapeHtml(input.apiName)}</strong>`;
  const list =
    input.scopes.length > 0
      ? `<p>${app} is asking to:</p>
<ul class="scopes" aria-label="Requested permissions">
${input.scopes
  .map(
    (s) =>
      `<li><span class="scope-description">${escapeHtml(s.description || s.value)}</span><span class="scope-value">${escapeHtml(s.value)}</span></li>`,
  )
  .join('\n')}
</ul>`
      : api === null
        ? `<p>${app} asks for no specific permission.</p>`
        : `<p>${app} is asking to access ${api} as you. It asks for no specific permission.</p>`;
  return sendPage(reply, 200, {
    title: `Authorize ${input.applicationName}`,
    formAction: redirectTarget(input.redirectUri),
    body: `<h1>Authorize ${escapeHtml(input.applicationName)}</h1>
<p class="sub">${api === null ? `${app} wants to sign you in with your account.` : `${app} wants to access ${api} on your behalf.`}</p>
<p class="who">Signed in as ${escapeHtml(input.userEmail)}</p>
${list}
<form method="post" action="${escapeHtml(input.action)}">
${hidden('tx', input.tx)}
${hidden('csrf', input.csrf)}
<div class="actions">
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
<button type="submit" name="decision" value="allow">Allow</button>
</div>
</form>`,
  });
}

/**
 * The form_post response (OAuth 2.0 Form Post Response Mode): a form that posts the response
 * parameters to the redirect URI, submitted by a one-line script (or by hand without JavaScript).
 */
export function formPostPage(reply: FastifyReply, redirectUri: string, params: Record<string, string>): FastifyReply {
  const target = formActionSource(redirectUri);
  return sendPage(reply, 200, {
    title: 'Submit this form',
    formAction: target ? [target] : [],
    formActionSelf: false,
    body: `<form method="post" action="${escapeHtml(redirectUri)}" id="response">
${Object.entries(params)
  .map(([name, value]) => hidden(name, value))
  .join('\n')}
<noscript><p>JavaScript is off: press Continue to return to the application.</p></noscript>
<div class="actions"><button type="submit">Continue</button></div>
</form>`,
    script: `document.getElementById("response").submit();`,
  });
}
