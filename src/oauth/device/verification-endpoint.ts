import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecretBox } from '../../crypto/secret-box';
import { isDatabaseUnavailable } from '../../db/database-errors';
import { isTextEncodingError } from '../../db/text-encoding-error';
import type { DeviceAuthorizationService } from '../../domain/device-authorization/device-authorization.service';
import { formatUserCode, normalizeUserCode } from '../../domain/device-authorization/user-code';
import type { LoginThrottleService } from '../../domain/sign-in/login-throttle.service';
import type { Clock } from '../../lib/clock';
import { ConsentDeps, consentDecision, consentForm, ConsentSubject, recordConsent, spendConsentForm } from '../authorize/consent-step';
import {
  AUTHORIZE_FORM_BODY_LIMIT,
  BUSY,
  BUSY_RETRY_AFTER_SECONDS,
  CREDENTIAL_FIELD_MAX,
  FORM_ALREADY_USED,
  tooManyAttempts,
  WRONG_CREDENTIALS,
} from '../authorize/endpoint';
import { continueUrl, formFields, InteractionForms } from '../authorize/interaction';
import { AUTHORIZE_HEADERS, consentPage, errorPage, loginPage, temporarilyUnavailablePage } from '../authorize/pages';
import { currentSignIn, sessionCookie, sessionIdFromCookies, signIn, SignInDeps, signInForm } from '../authorize/sign-in-step';
import { TX_MAX_LENGTH } from '../authorize/transaction';
import type { Registry } from '../registry';
import { devicePageDone, userCodePage } from './pages';
import { userCodeAttemptKeys } from './user-code-throttle';
import { DEVICE_ROUTES } from './verification-routes';

export interface DeviceVerificationDeps extends SignInDeps, ConsentDeps {
  /** config.issuer: https → Secure cookies. */
  issuer: string;
  box: SecretBox;
  clock: Clock;
  registry: Registry;
  deviceAuthorizations: Pick<DeviceAuthorizationService, 'findPending' | 'decide'>;
  /** Counts user codes entered (userCodeAttemptKeys), as it counts sign-ins. */
  throttle: SignInDeps['throttle'] & Pick<LoginThrottleService, 'reserve' | 'refund'>;
  /** config.deviceUserCodeAttempts. */
  userCodeAttempts: { perAddress: number; global: number };
}

/** One answer for every code that names no pending request: unknown, mistyped, expired or already used. */
export const WRONG_USER_CODE = 'This code is not valid or has expired. Check the code on your device and try again.';
const FORM_EXPIRED = 'This form has expired or is not valid. Go back and enter the code again.';
const CODE_ENDED = 'This code has expired or has already been used. Start again on your device.';

/**
 * The verification page of the device authorization grant (RFC 8628 §3.3): GET /device shows the
 * code form (prefilled from verification_uri_complete, never looked up before the user submits it,
 * §5.4); POST /device checks the code (throttled per address and over the whole code space), then
 * signs the user in (POST /device/login) and always asks their consent, showing the application and
 * the scopes (POST /device/consent), with /authorize's steps, forms, CSRF rules and session cookie.
 * The form of each step carries the normalized user code, sealed.
 */
export function registerDeviceVerification(app: FastifyInstance, deps: DeviceVerificationDeps): void {
  const secure = deps.issuer.startsWith('https:');
  const forms = new InteractionForms({ box: deps.box, clock: deps.clock, secure });
  const routes = DEVICE_ROUTES;
  const sessionIdOf = (request: FastifyRequest) => sessionIdFromCookies(request.headers.cookie, secure);

  const fail = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return temporarilyUnavailablePage(reply);
    }
    if (isTextEncodingError(error))
      return errorPage(reply, 400, 'Invalid request', 'The request holds a character the server cannot store.');
    request.log.error({ err: error }, 'device verification fault');
    return errorPage(reply, 500, 'Something went wrong', 'The server could not complete the request.');
  };

  const showCodeForm = (request: FastifyRequest, reply: FastifyReply, status: number, userCode?: string, error?: string) => {
    const { tx, csrf, setCookies } = forms.seal(request.headers.cookie, { kind: 'user_code', params: [] });
    if (setCookies.length > 0) reply.header('Set-Cookie', setCookies);
    return userCodePage(reply, status, { tx, csrf, userCode, error });
  };

  /** The pending request of a normalized user code, its client and API as configured now; null when any is gone. */
  const pending = async (userCode: string) => {
    const found = await deps.deviceAuthorizations.findPending(userCode);
    if (!found) return null;
    const cached = await deps.registry.client(found.clientId);
    const api = await deps.registry.apiById(found.authorization.resourceServerId);
    if (!cached || !api || !cached.client.grantTypes.includes('DEVICE_CODE')) return null;
    const subject: ConsentSubject = {
      client: cached.client,
      api,
      scopes: found.authorization.scopes,
      loopbackRedirect: false,
      // The user always confirms a device: the code alone proves nothing about who typed it (§5.4).
      promptConsent: true,
    };
    return subject;
  };

  const showSignIn = (
    request: FastifyRequest,
    reply: FastifyReply,
    userCode: string,
    applicationName: string,
    status = 200,
    options: { email?: string; error?: string } = {},
  ) => {
    const { page, setCookies } = signInForm(forms, routes, request.headers.cookie, {
      params: [['user_code', formatUserCode(userCode)]],
      applicationName,
      ...options,
    });
    if (setCookies.length > 0) reply.header('Set-Cookie', setCookies);
    return loginPage(reply, status, page);
  };

  app.get(routes.continuePath, { exposeHeadRoute: false }, async (request, reply) => {
    try {
      const query = request.query as Record<string, unknown>;
      const given = typeof query.user_code === 'string' ? normalizeUserCode(query.user_code) : null;
      return showCodeForm(request, reply, 200, given === null ? undefined : formatUserCode(given));
    } catch (error) {
      return fail(request, reply, error);
    }
  });

  app.post(routes.continuePath, { bodyLimit: AUTHORIZE_FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const fields = formFields(request.body, { tx: TX_MAX_LENGTH, csrf: 100, user_code: 100 });
      if (!forms.open(request.headers.cookie, fields, 'user_code')) return errorPage(reply, 400, 'Invalid form', FORM_EXPIRED);
      const typed = fields!.get('user_code') ?? '';
      const keys = userCodeAttemptKeys(request.ip, deps.userCodeAttempts);
      const reservation = await deps.throttle.reserve(keys);
      if (!reservation.allowed) {
        reply.header('Retry-After', String(reservation.retryAfterSeconds));
        return showCodeForm(request, reply, 429, typed.slice(0, 32), tooManyAttempts(reservation.retryAfterSeconds));
      }
      const userCode = normalizeUserCode(typed);
      const subject = userCode === null ? null : await pending(userCode);
      if (userCode === null || subject === null) return showCodeForm(request, reply, 200, typed.slice(0, 32), WRONG_USER_CODE);
      // A code that names a request is no guess: given back.
      await deps.throttle.refund(keys);
      const signedIn = await currentSignIn(deps, sessionIdOf(request));
      if (!signedIn) return showSignIn(request, reply, userCode, subject.client.name);
      const { page, setCookies } = await consentForm(deps, forms, routes, request.headers.cookie, {
        user: signedIn.user,
        subject,
        ask: subject.scopes,
        params: [['user_code', userCode]],
      });
      if (setCookies.length > 0) reply.header('Set-Cookie', setCookies);
      return consentPage(reply, page);
    } catch (error) {
      return fail(request, reply, error);
    }
  });

  app.post(routes.signInAction, { bodyLimit: AUTHORIZE_FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const fields = formFields(request.body, {
        tx: TX_MAX_LENGTH,
        csrf: 100,
        email: CREDENTIAL_FIELD_MAX,
        password: CREDENTIAL_FIELD_MAX,
      });
      const tx = forms.open(request.headers.cookie, fields, 'login');
      const userCode = tx && normalizeUserCode(tx.params.find(([name]) => name === 'user_code')?.[1] ?? '');
      if (!tx || !userCode) return errorPage(reply, 400, 'Invalid form', FORM_EXPIRED);
      const subject = await pending(userCode);
      if (!subject) return errorPage(reply, 400, 'Code ended', CODE_ENDED);
      const email = (fields!.get('email') ?? '').trim();
      const result = await signIn(deps, { email, password: fields!.get('password') ?? '', ip: request.ip }, sessionIdOf(request));
      const again = (status: number, error: string) => showSignIn(request, reply, userCode, subject.client.name, status, { email, error });
      if (result.status === 'throttled') {
        reply.header('Retry-After', String(result.retryAfterSeconds));
        return again(429, tooManyAttempts(result.retryAfterSeconds));
      }
      if (result.status === 'busy') {
        reply.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
        return again(503, BUSY);
      }
      if (result.status === 'refused') return again(200, WRONG_CREDENTIALS);
      // Back to the code form, prefilled and now signed in: the user confirms the code (303: a GET follows).
      return reply
        .code(303)
        .headers(AUTHORIZE_HEADERS)
        .header('Set-Cookie', [sessionCookie(result.sessionId, secure, deps.sessions.policy.lifetimeSeconds)])
        .header('Location', continueUrl(routes, tx.params))
        .send();
    } catch (error) {
      return fail(request, reply, error);
    }
  });

  app.post(routes.consentAction, { bodyLimit: AUTHORIZE_FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const fields = formFields(request.body, { tx: TX_MAX_LENGTH, csrf: 100, decision: 10 });
      const tx = forms.open(request.headers.cookie, fields, 'consent');
      const userCode = tx && normalizeUserCode(tx.params.find(([name]) => name === 'user_code')?.[1] ?? '');
      const decision = consentDecision(fields?.get('decision'));
      if (!tx || !userCode || decision === null) return errorPage(reply, 400, 'Invalid form', FORM_EXPIRED);
      const signedIn = await currentSignIn(deps, sessionIdOf(request));
      if (!signedIn || signedIn.user.id !== tx.userId) {
        return errorPage(reply, 400, 'Not signed in', 'Your sign-in has ended. Enter the code again.');
      }
      if (!(await spendConsentForm(deps, tx))) return errorPage(reply, 400, 'Form already used', FORM_ALREADY_USED);
      const subject = await pending(userCode);
      if (!subject) return errorPage(reply, 400, 'Code ended', CODE_ENDED);
      const { user, session } = signedIn;
      if (decision === 'allow') await recordConsent(deps, user.id, subject);
      const decided = await deps.deviceAuthorizations.decide(userCode, decision === 'allow' ? 'APPROVED' : 'DENIED', user.id, session);
      if (!decided) return errorPage(reply, 400, 'Code ended', CODE_ENDED);
      return devicePageDone(reply, decision === 'allow', subject.client.name);
    } catch (error) {
      return fail(request, reply, error);
    }
  });
}
