import type { FastifyInstance, FastifyReply } from 'fastify';
import { DomainError } from '../domain/errors';
import type { AdministratorService } from '../domain/management/administrator';
import { EMAIL_MAX, PASSWORD_MAX } from '../domain/user/user.rules';
import { WorkLimiterFull } from '../lib/work-limiter';
import type { SecretBox } from '../crypto/secret-box';
import type { Clock } from '../lib/clock';
import { endpointUrl } from '../lib/issuer-url';
import { InteractionForms, formFields } from '../oauth/authorize/interaction';
import { errorPage, escapeHtml, sendPage } from '../oauth/authorize/pages';

export const SETUP_PATH = '/console/setup';

/** The link a start prints while no one holds the Administrator role: the token in the fragment, so it is never sent to a server or logged. */
export function adminSetupLink(issuer: string, token: string): string {
  return `${endpointUrl(issuer, SETUP_PATH)}#${token}`;
}

const FIELD_LIMITS = { tx: 40_000, csrf: 100, token: 100, email: EMAIL_MAX, password: PASSWORD_MAX };

const INVALID_LINK =
  'This setup link is not valid: it has expired, was used, or a later start printed a newer one. Restart the service to get a fresh link.';
const ALREADY_SET_UP = 'An administrator already exists. Sign in to the console instead.';

/**
 * The page that sets the first administrator's email and password, once, from the link a start
 * prints (AdministratorService). A server-rendered form like the sign-in page: strict CSP, the
 * CSRF token of a sealed transaction, and one inline script (admitted by its nonce) that moves the
 * link's token from the fragment into the form.
 */
export function registerConsoleSetup(
  app: FastifyInstance,
  deps: { issuer: string; box: SecretBox; clock: Clock; administrators: AdministratorService },
): void {
  const forms = new InteractionForms({ box: deps.box, clock: deps.clock, secure: deps.issuer.startsWith('https:') });
  const consoleUrl = endpointUrl(deps.issuer, '/console/');

  const alreadySetUp = (reply: FastifyReply) =>
    sendPage(reply, 410, {
      title: 'Already set up',
      formAction: [],
      formActionSelf: false,
      body: `<h1>Already set up</h1>
<p role="alert">${escapeHtml(ALREADY_SET_UP)}</p>
<p><a href="${escapeHtml(consoleUrl)}">Open the console</a></p>`,
    });

  const form = (
    reply: FastifyReply,
    status: number,
    cookieHeader: string | undefined,
    input: { token?: string; email?: string; errors?: string[] },
  ) => {
    const { tx, csrf, setCookies } = forms.seal(cookieHeader, { kind: 'admin_setup', params: [] });
    if (setCookies.length > 0) reply.header('Set-Cookie', setCookies);
    return sendPage(reply, status, {
      title: 'Set up the administrator',
      body: `<h1>Set up the administrator</h1>
<p class="sub">The first person to administer this service. They sign in to the console with this email and password.</p>
<noscript><p class="alert">This page needs JavaScript to read its link.</p></noscript>
<form method="post" action="${SETUP_PATH}" novalidate>
<input type="hidden" name="tx" value="${escapeHtml(tx)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<input type="hidden" id="token" name="token" value="${escapeHtml(input.token ?? '')}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="${EMAIL_MAX}" value="${escapeHtml(input.email ?? '')}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required maxlength="${PASSWORD_MAX}">
${input.errors?.length ? `<div class="alert" role="alert" id="setup-error">${input.errors.map((e) => `<p>${escapeHtml(e)}</p>`).join('')}</div>` : ''}
<div class="actions"><button type="submit">Create administrator</button></div>
</form>`,
      // The fragment never reaches the server: copied into the form, then dropped from the address bar and history.
      script:
        "var t=document.getElementById('token');if(!t.value&&location.hash.length>1){t.value=location.hash.slice(1);history.replaceState(null,'',location.pathname);}",
    });
  };

  app.get(SETUP_PATH, async (request, reply) => {
    if (await deps.administrators.hasAdministrator()) return alreadySetUp(reply);
    return form(reply, 200, request.headers.cookie, {});
  });

  app.post(SETUP_PATH, { bodyLimit: 64 * 1024 }, async (request, reply) => {
    const fields = formFields(request.body, FIELD_LIMITS);
    if (!forms.open(request.headers.cookie, fields, 'admin_setup')) {
      return errorPage(reply, 400, 'Form expired', 'This form has expired or is not valid. Open the setup link again.');
    }
    const token = fields!.get('token') ?? '';
    const email = fields!.get('email') ?? '';
    try {
      const outcome = await deps.administrators.completeSetup(
        token,
        { email, password: fields!.get('password') ?? '' },
        String(request.id),
      );
      if (outcome === 'already_set_up') return alreadySetUp(reply);
      if (outcome === 'invalid_link') return errorPage(reply, 400, 'Invalid link', INVALID_LINK);
      return sendPage(reply, 200, {
        title: 'Administrator created',
        formAction: [],
        formActionSelf: false,
        body: `<h1>Administrator created</h1>
<p role="status">${escapeHtml(email.trim())} now holds the Administrator role. This link no longer works.</p>
<p><a href="${escapeHtml(consoleUrl)}">Sign in to the console</a></p>`,
      });
    } catch (error) {
      if (error instanceof DomainError) {
        const label = (field: string[] | null) => (field?.[0] === 'password' ? 'Password' : 'Email');
        return form(reply, 400, request.headers.cookie, {
          token,
          email,
          errors: error.issues.map((i) => `${label(i.field)} ${i.message}.`),
        });
      }
      if (error instanceof WorkLimiterFull) {
        return errorPage(
          reply.header('Retry-After', '2'),
          503,
          'Busy',
          'Too many passwords are being checked right now. Try again in a few seconds.',
        );
      }
      throw error;
    }
  });
}
