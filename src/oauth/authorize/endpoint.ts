import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecretBox } from '../../crypto/secret-box';
import { isTextEncodingError } from '../../db/text-encoding-error';
import type { Clock } from '../../lib/clock';
import { isDatabaseUnavailable } from '../../db/database-errors';
import {
  ConsentDeps,
  consentDecision,
  consentForm,
  ConsentSubject,
  recordConsent,
  scopesToConfirm,
  spendConsentForm,
} from './consent-step';
import { AUTHORIZE_ROUTES, continueUrl, formFields, InteractionForms, pushedContinuationOf } from './interaction';
import { PushedRequestDeps, redeemPushedRequest } from './pushed-request';
import { AUTHORIZE_HEADERS, consentPage, errorPage, formPostPage, loginPage, temporarilyUnavailablePage } from './pages';
import {
  AuthorizationRequest,
  AuthorizeError,
  PageError,
  parseQuery,
  rawQueryOf,
  ResponseTarget,
  validateAuthorizationRequest,
  ValidateDeps,
  afterSignIn,
} from './request';
import { authorizationResponse, errorResponse, grantResponse, ResponseDeps } from './response-step';
import {
  currentSignIn,
  isFreshEnough,
  sessionCookie,
  sessionIdFromCookies,
  signIn,
  SignedIn,
  SignInDeps,
  signInForm,
} from './sign-in-step';
import { TX_MAX_LENGTH, TxKind } from './transaction';

/**
 * GET /authorize (RFC 6749 §4.1 authorization code with PKCE, §4.2 implicit), its sign-in form
 * (POST /authorize/login) and its consent form (POST /authorize/consent): HTTP wired to the steps
 * (request.ts validates, sign-in-step.ts, consent-step.ts, response-step.ts answers).
 */

export interface AuthorizeDeps extends ValidateDeps, SignInDeps, ConsentDeps, ResponseDeps, PushedRequestDeps {
  /** config.issuer: the `iss` of authorization responses (RFC 9207); https → Secure cookies. */
  issuer: string;
  /** Seals the forms' transactions. */
  box: SecretBox;
  /** The time of the forms' expiry (the services read it too, for sessions, codes and throttling). */
  clock: Clock;
}

/** The sign-in and consent forms carry a sealed transaction: larger than the token endpoint's limit. */
export const AUTHORIZE_FORM_BODY_LIMIT = 64 * 1024;
/**
 * Longest email or password field read. Longer than the user directory's own limits on purpose: it
 * refuses those with the generic answer, after the same work, rather than a form error here.
 */
export const CREDENTIAL_FIELD_MAX = 4096;

export const WRONG_CREDENTIALS = 'Wrong email or password.';
/** The 429 answer while the account at this address, or the address, must wait (also sent as Retry-After). */
export const tooManyAttempts = (seconds: number) => `Too many attempts. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
/** The 503 answer when too many password checks are running and waiting (Retry-After: BUSY_RETRY_AFTER_SECONDS). */
export const BUSY = 'Too many sign-ins are being checked right now. Try again in a few seconds.';
export const BUSY_RETRY_AFTER_SECONDS = 2;
const FORM_EXPIRED = 'This form has expired or is not valid. Go back to the application and start again.';
export const FORM_ALREADY_USED = 'This form has already been submitted. Go back to the application and start again.';

/** What the consent step is asked for by an authorization request. */
function consentSubject(req: AuthorizationRequest): ConsentSubject {
  return {
    client: req.client,
    api: req.api,
    scopes: req.scopes,
    loopbackRedirect: req.loopbackRedirect,
    promptConsent: req.prompts.has('consent'),
  };
}

export function registerAuthorizeEndpoint(app: FastifyInstance, deps: AuthorizeDeps): void {
  const secure = deps.issuer.startsWith('https:');
  const forms = new InteractionForms({ box: deps.box, clock: deps.clock, secure });
  const routes = AUTHORIZE_ROUTES;
  const sessionIdOf = (request: FastifyRequest) => sessionIdFromCookies(request.headers.cookie, secure);

  /** Sends an authorization response (success or error) to the client, in its response mode. */
  const respond = (reply: FastifyReply, target: ResponseTarget, values: Record<string, string | undefined>, status: 302 | 303) => {
    const response = authorizationResponse(deps.issuer, target, values);
    if (response.mode === 'form_post') return formPostPage(reply, response.redirectUri, response.params);
    return reply.code(status).headers(AUTHORIZE_HEADERS).header('Location', response.location).send();
  };

  const fail = (request: FastifyRequest, reply: FastifyReply, error: unknown, status: 302 | 303) => {
    if (error instanceof AuthorizeError) return respond(reply, error.target, errorResponse(error), status);
    if (error instanceof PageError) return errorPage(reply, error.status, error.title, error.detail);
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return temporarilyUnavailablePage(reply);
    }
    // The safety net behind the parsing edge's refusal of control characters.
    if (isTextEncodingError(error)) {
      return errorPage(reply, 400, 'Invalid request', 'The request holds a character the server cannot store.');
    }
    request.log.error({ err: error }, 'authorization endpoint fault');
    return errorPage(reply, 500, 'Something went wrong', 'The server could not complete the request.');
  };

  const showSignIn = (
    request: FastifyRequest,
    reply: FastifyReply,
    req: AuthorizationRequest,
    options: { status?: number; email?: string; error?: string } = {},
  ) => {
    const { page, setCookies } = signInForm(forms, routes, request.headers.cookie, {
      params: afterSignIn(req.params),
      pushed: req.pushed,
      applicationName: req.client.name,
      redirectUri: req.redirectUri,
      email: options.email,
      error: options.error,
    });
    if (setCookies.length > 0) reply.header('Set-Cookie', setCookies);
    return loginPage(reply, options.status ?? 200, page);
  };

  const grant = async (reply: FastifyReply, req: AuthorizationRequest, signedIn: SignedIn, status: 302 | 303) =>
    respond(reply, req, await grantResponse(deps, req, signedIn, reply.request.id), status);

  /** A signed-in user: the consent page if the rules ask for one, else the response. */
  const proceed = async (
    request: FastifyRequest,
    reply: FastifyReply,
    req: AuthorizationRequest,
    signedIn: SignedIn,
    status: 302 | 303,
  ) => {
    const { user } = signedIn;
    const subject = consentSubject(req);
    const ask = await scopesToConfirm(deps, user.id, subject);
    if (ask === null) return grant(reply, req, signedIn, status);
    if (req.prompts.has('none')) throw new AuthorizeError(req, 'consent_required', 'The user has not consented to this request');
    const { page, setCookies } = await consentForm(deps, forms, routes, request.headers.cookie, {
      user,
      subject,
      ask,
      params: req.params,
      pushed: req.pushed,
      redirectUri: req.redirectUri,
    });
    if (setCookies.length > 0) reply.header('Set-Cookie', setCookies);
    return consentPage(reply, page);
  };

  /**
   * The request of a GET /authorize: the parameters a client pushed (RFC 9126), named by their
   * request_uri (redeemed here, once) or, after sign-in, carried sealed by the continuation URL;
   * else the query's own.
   */
  const requestOf = async (request: FastifyRequest): Promise<AuthorizationRequest> => {
    const rawQuery = rawQueryOf(request.url);
    const sealed = pushedContinuationOf(rawQuery);
    if (sealed !== undefined) {
      const tx = forms.openPushedContinuation(request.headers.cookie, sealed);
      if (!tx) throw new PageError('Invalid request', FORM_EXPIRED);
      return validateAuthorizationRequest(deps, tx.params, undefined, true);
    }
    const { params, repeated } = parseQuery(rawQuery);
    const pushed = await redeemPushedRequest(deps, params, repeated);
    if (pushed) return validateAuthorizationRequest(deps, pushed, undefined, true);
    return validateAuthorizationRequest(deps, params, repeated);
  };

  app.get(routes.continuePath, { exposeHeadRoute: false }, async (request, reply) => {
    try {
      const req = await requestOf(request);
      // prompt=login, or a sign-in older than max_age: the user signs in again (OpenID Connect Core §3.1.2.1).
      const signedIn = req.prompts.has('login') ? null : await currentSignIn(deps, sessionIdOf(request));
      if (!signedIn || !isFreshEnough(signedIn.session, req.maxAge, deps.clock.now())) {
        if (req.prompts.has('none')) throw new AuthorizeError(req, 'login_required', 'The user is not signed in');
        return showSignIn(request, reply, req);
      }
      return await proceed(request, reply, req, signedIn, 302);
    } catch (error) {
      return fail(request, reply, error, 302);
    }
  });

  /** The transaction of a posted form; null (after answering 400) when the form is refused. */
  const openForm = (request: FastifyRequest, reply: FastifyReply, fields: Map<string, string> | null, kind: TxKind) => {
    const tx = forms.open(request.headers.cookie, fields, kind);
    if (!tx) errorPage(reply, 400, 'Invalid form', FORM_EXPIRED);
    return tx;
  };

  app.post(routes.signInAction, { bodyLimit: AUTHORIZE_FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const fields = formFields(request.body, {
        tx: TX_MAX_LENGTH,
        csrf: 100,
        email: CREDENTIAL_FIELD_MAX,
        password: CREDENTIAL_FIELD_MAX,
      });
      const tx = openForm(request, reply, fields, 'login');
      if (!tx) return reply;
      const req = await validateAuthorizationRequest(deps, tx.params, undefined, tx.pushed === true);
      const email = (fields!.get('email') ?? '').trim();
      const result = await signIn(deps, { email, password: fields!.get('password') ?? '', ip: request.ip }, sessionIdOf(request));
      if (result.status === 'throttled') {
        reply.header('Retry-After', String(result.retryAfterSeconds));
        return showSignIn(request, reply, req, { status: 429, email, error: tooManyAttempts(result.retryAfterSeconds) });
      }
      if (result.status === 'busy') {
        reply.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
        return showSignIn(request, reply, req, { status: 503, email, error: BUSY });
      }
      if (result.status === 'refused') return showSignIn(request, reply, req, { email, error: WRONG_CREDENTIALS });
      // Back to GET /authorize, now signed in (303: the browser follows with a GET).
      return reply
        .code(303)
        .headers(AUTHORIZE_HEADERS)
        .header('Set-Cookie', [sessionCookie(result.sessionId, secure, deps.sessions.policy.lifetimeSeconds)])
        .header('Location', tx.pushed ? forms.pushedContinueUrl(routes, tx.csrf, tx.params) : continueUrl(routes, tx.params))
        .send();
    } catch (error) {
      return fail(request, reply, error, 303);
    }
  });

  app.post(routes.consentAction, { bodyLimit: AUTHORIZE_FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const fields = formFields(request.body, { tx: TX_MAX_LENGTH, csrf: 100, decision: 10 });
      const tx = openForm(request, reply, fields, 'consent');
      if (!tx) return reply;
      const req = await validateAuthorizationRequest(deps, tx.params, undefined, tx.pushed === true);
      const signedIn = await currentSignIn(deps, sessionIdOf(request));
      if (!signedIn || signedIn.user.id !== tx.userId) {
        return errorPage(reply, 400, 'Not signed in', 'Your sign-in has ended. Go back to the application and start again.');
      }
      const decision = consentDecision(fields!.get('decision'));
      if (decision === null) return errorPage(reply, 400, 'Invalid form', FORM_EXPIRED);
      // One answer per form: a replay of it (or a second click) gets no second code.
      if (!(await spendConsentForm(deps, tx))) return errorPage(reply, 400, 'Form already used', FORM_ALREADY_USED);
      if (decision === 'deny') throw new AuthorizeError(req, 'access_denied', 'The user denied the request');
      await recordConsent(deps, signedIn.user.id, consentSubject(req));
      return await grant(reply, req, signedIn, 303);
    } catch (error) {
      return fail(request, reply, error, 303);
    }
  });
}
