import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import type { SecretBox } from '../../crypto/secret-box';
import { ScopeEntity } from '../../domain/resource-server/scope.entity';
import type { Registry } from '../registry';
import { OFFLINE_ACCESS } from '../user-policy';
import type { TokenPipeline } from '../tokens/pipeline';
import type { UserEntity } from '../../domain/user/user.entity';
import type { AuthorizationCodeService } from '../../domain/authorization/authorization-code.service';
import { scopesToAsk } from './consent';
import { CSRF_COOKIE, parseCookies, serializeCookie, SESSION_COOKIE } from './cookies';
import { AUTHORIZE_HEADERS, consentPage, errorPage, formPostPage, loginPage } from './pages';
import {
  AuthorizationRequest,
  AuthorizeError,
  PageError,
  parseQuery,
  rawQueryOf,
  ResponseTarget,
  validateAuthorizationRequest,
} from './request';
import { SESSION_LIFETIME_SECONDS, SessionStore } from './sessions';
import { accountKey, ACCOUNT_FAILURE_LIMIT, IP_FAILURE_LIMIT, ipKey, LoginThrottle } from './throttle';
import { csrfMatches, CSRF_TOKEN, newCsrfToken, openTransaction, sealTransaction, Transaction, TX_MAX_LENGTH } from './transaction';

/** The user of /authorize: the whole entity, which the token pipeline's context carries (implicit grant). */
export type AuthorizeUser = UserEntity;

/** The user directory (UserService). */
export interface UserDirectory {
  /** The user whose password this is, blocked or not; null otherwise. */
  authenticate(email: string, password: string): Promise<AuthorizeUser | null>;
  recordLogin(userId: string): Promise<void>;
  findById(id: string): Promise<AuthorizeUser | null>;
}

/** Users' consents (UserGrantService). */
export interface ConsentStore {
  consentedScopes(userId: string, clientUuid: string, resourceServerId: string): Promise<string[]>;
  /** Adds the scopes to the user's consent (a union). */
  recordConsent(userId: string, clientUuid: string, resourceServerId: string, scopes: string[]): Promise<void>;
}

/** The authorization code store. */
export type CodeIssuer = Pick<AuthorizationCodeService, 'issue'>;

export interface AuthorizeDeps {
  /** config.issuer: the `iss` of authorization responses (RFC 9207); https → Secure cookies. */
  issuer: string;
  registry: Registry;
  dataSource: DataSource;
  box: SecretBox;
  pipeline: TokenPipeline;
  users: UserDirectory;
  userGrants: ConsentStore;
  authorizationCodes: CodeIssuer;
}

/** The sign-in and consent forms carry a sealed transaction: larger than the token endpoint's limit. */
export const AUTHORIZE_FORM_BODY_LIMIT = 64 * 1024;
/**
 * Longest email or password field read. Longer than the user directory's own limits on purpose: it
 * refuses those with the generic answer, after the same work, rather than a form error here.
 */
export const CREDENTIAL_FIELD_MAX = 4096;

/** What the consent page says of offline_access (a refresh token). */
export const OFFLINE_ACCESS_DESCRIPTION = 'Stay signed in: access your data when you are not using the app';

export const WRONG_CREDENTIALS = 'Wrong email or password.';
export const TOO_MANY_ATTEMPTS = 'Too many attempts. Try again later.';
const FORM_EXPIRED = 'This form has expired or is not valid. Go back to the application and start again.';

/** A form field of a POST to /authorize/*: one value, at most `max` characters. */
function formFields(body: unknown, limits: Record<string, number>): Map<string, string> | null {
  if (!(body instanceof URLSearchParams)) return null;
  const fields = new Map<string, string>();
  for (const [name, value] of body) {
    const max = limits[name];
    if (max === undefined) continue;
    if (fields.has(name) || value.length > max) return null;
    fields.set(name, value);
  }
  return fields;
}

/** `prompt` without `login`, for the request that continues after a sign-in. */
function withoutPromptLogin(params: [string, string][]): [string, string][] {
  return params.flatMap(([name, value]): [string, string][] => {
    if (name !== 'prompt') return [[name, value]];
    const rest = value.split(' ').filter((p) => p !== '' && p !== 'login');
    return rest.length > 0 ? [[name, rest.join(' ')]] : [];
  });
}

/**
 * GET /authorize (RFC 6749 §4.1 authorization code with PKCE, §4.2 implicit), its sign-in form
 * (POST /authorize/login) and its consent form (POST /authorize/consent).
 */
export function registerAuthorizeEndpoint(app: FastifyInstance, deps: AuthorizeDeps): void {
  const sessions = new SessionStore(deps.dataSource);
  const throttle = new LoginThrottle(deps.dataSource);
  const secure = deps.issuer.startsWith('https:');

  const cookieHeader = (name: string, value: string, path: string, maxAge?: number) =>
    serializeCookie(name, value, { path, maxAge, secure });

  /** The CSRF token of this browser: its cookie, or a new one set on the reply. */
  const csrfFor = (request: FastifyRequest, setCookies: string[]): string => {
    const existing = parseCookies(request.headers.cookie).get(CSRF_COOKIE);
    if (existing !== undefined && CSRF_TOKEN.test(existing)) return existing;
    const token = newCsrfToken();
    setCookies.push(cookieHeader(CSRF_COOKIE, token, '/authorize'));
    return token;
  };

  /** The signed-in user: a live session of an existing user who is not blocked. */
  const currentUser = async (request: FastifyRequest): Promise<AuthorizeUser | null> => {
    const userId = await sessions.userIdOf(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
    if (userId === null) return null;
    const user = await deps.users.findById(userId);
    return user && !user.blocked ? user : null;
  };

  /** Sends an authorization response (success or error) to the client, in its response mode. */
  const respond = (reply: FastifyReply, target: ResponseTarget, values: Record<string, string | undefined>, status: 302 | 303) => {
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(values)) if (value !== undefined) params[name] = value;
    if (target.state !== undefined) params.state = target.state;
    params.iss = deps.issuer;
    if (target.responseMode === 'form_post') return formPostPage(reply, target.redirectUri, params);
    const encoded = new URLSearchParams(params).toString();
    // A registered URI may hold non-ASCII characters: percent-encoded, as a browser would, for the header.
    const base = target.redirectUri.replace(/[^\x21-\x7e]/gu, (c) =>
      [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    );
    const location =
      target.responseMode === 'fragment' ? `${base}#${encoded}` : `${base}${base.includes('?') ? '&' : '?'}${encoded}`;
    return reply.code(status).headers(AUTHORIZE_HEADERS).header('Location', location).send();
  };

  const fail = (request: FastifyRequest, reply: FastifyReply, error: unknown, status: 302 | 303) => {
    if (error instanceof AuthorizeError) {
      return respond(reply, error.target, { error: error.error, error_description: error.description }, status);
    }
    if (error instanceof PageError) return errorPage(reply, error.status, error.title, error.detail);
    request.log.error({ err: error }, 'authorization endpoint fault');
    return errorPage(reply, 500, 'Something went wrong', 'The server could not complete the request.');
  };

  const showLogin = (
    request: FastifyRequest,
    reply: FastifyReply,
    req: AuthorizationRequest,
    options: { status?: number; email?: string; error?: string } = {},
  ) => {
    const setCookies: string[] = [];
    const csrf = csrfFor(request, setCookies);
    const tx = sealTransaction(deps.box, { kind: 'login', params: withoutPromptLogin(req.params), csrf });
    if (setCookies.length > 0) reply.header('Set-Cookie', setCookies);
    return loginPage(reply, options.status ?? 200, {
      applicationName: req.client.name,
      tx,
      csrf,
      email: options.email,
      error: options.error,
      redirectUri: req.redirectUri,
    });
  };

  /** Issues the code or the token and sends it to the client. */
  const issue = async (reply: FastifyReply, req: AuthorizationRequest, user: AuthorizeUser, status: 302 | 303) => {
    const { client, api } = req;
    if (req.responseType === 'code') {
      const code = await deps.authorizationCodes.issue({
        clientUuid: client.id,
        userId: user.id,
        resourceServerId: api.server.id,
        redirectUri: req.redirectUri,
        scopes: req.scopes,
        codeChallenge: req.codeChallenge,
        codeChallengeMethod: req.codeChallengeMethod,
      });
      return respond(reply, req, { code }, status);
    }
    // Implicit: the nonce is remembered until the token expires; a second use is refused.
    const lifetime = api.server.tokenLifetimeForWeb;
    const rows: unknown[] = await deps.dataSource.query(
      `INSERT INTO used_nonces AS n (client_id, nonce, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (client_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE n.expires_at <= now()
       RETURNING 1`,
      [client.id, req.nonce, lifetime + 60],
    );
    if (rows.length === 0) throw new AuthorizeError(req, 'invalid_request', 'nonce already used');
    const token = await deps.pipeline.issueAccessToken(
      { grantType: 'implicit', client, api, user, scopes: req.scopes, requestId: reply.request.id },
      { lifetime },
    );
    return respond(
      reply,
      req,
      { access_token: token.accessToken, token_type: token.tokenType, expires_in: String(token.expiresIn), scope: token.scope },
      status,
    );
  };

  /** A signed-in user: ask for consent if the rules say so, else issue. */
  const proceed = async (request: FastifyRequest, reply: FastifyReply, req: AuthorizationRequest, user: AuthorizeUser, status: 302 | 303) => {
    const consented = await deps.userGrants.consentedScopes(user.id, req.client.id, req.api.server.id);
    const ask = scopesToAsk({
      isFirstParty: req.client.isFirstParty,
      allowSkippingUserConsent: req.api.server.allowSkippingUserConsent,
      loopbackRedirect: req.loopbackRedirect,
      promptConsent: req.prompts.has('consent'),
      requested: req.scopes,
      consented,
    });
    if (ask === null) return issue(reply, req, user, status);
    if (req.prompts.has('none')) throw new AuthorizeError(req, 'consent_required', 'The user has not consented to this request');
    const descriptions = new Map<string, string>();
    if (ask.length > 0) {
      const rows = await deps.dataSource
        .getRepository(ScopeEntity)
        .createQueryBuilder('s')
        .select(['s.value', 's.description'])
        .where('s.resourceServerId = :id AND s.value IN (:...values)', { id: req.api.server.id, values: ask })
        .getMany();
      for (const row of rows) descriptions.set(row.value, row.description);
      if (ask.includes(OFFLINE_ACCESS)) descriptions.set(OFFLINE_ACCESS, OFFLINE_ACCESS_DESCRIPTION);
    }
    const setCookies: string[] = [];
    const csrf = csrfFor(request, setCookies);
    const tx = sealTransaction(deps.box, { kind: 'consent', params: req.params, csrf, userId: user.id });
    if (setCookies.length > 0) reply.header('Set-Cookie', setCookies);
    return consentPage(reply, {
      applicationName: req.client.name,
      apiName: req.api.server.name,
      userEmail: user.email,
      scopes: ask.map((value) => ({ value, description: descriptions.get(value) ?? '' })),
      tx,
      csrf,
      redirectUri: req.redirectUri,
    });
  };

  app.get('/authorize', { exposeHeadRoute: false }, async (request, reply) => {
    try {
      const { params, repeated } = parseQuery(rawQueryOf(request.url));
      const req = await validateAuthorizationRequest(deps, params, repeated);
      const user = req.prompts.has('login') ? null : await currentUser(request);
      if (!user) {
        if (req.prompts.has('none')) throw new AuthorizeError(req, 'login_required', 'The user is not signed in');
        return showLogin(request, reply, req);
      }
      return await proceed(request, reply, req, user, 302);
    } catch (error) {
      return fail(request, reply, error, 302);
    }
  });

  /** Opens a form's transaction and checks its CSRF token; null (after answering 400) when either fails. */
  const openForm = (request: FastifyRequest, reply: FastifyReply, fields: Map<string, string> | null, kind: Transaction['kind']) => {
    const tx = fields && openTransaction(deps.box, fields.get('tx'), kind);
    if (!fields || !tx || !csrfMatches(parseCookies(request.headers.cookie).get(CSRF_COOKIE), fields.get('csrf'), tx.csrf)) {
      errorPage(reply, 400, 'Invalid form', FORM_EXPIRED);
      return null;
    }
    return tx;
  };

  app.post('/authorize/login', { bodyLimit: AUTHORIZE_FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const fields = formFields(request.body, { tx: TX_MAX_LENGTH, csrf: 100, email: CREDENTIAL_FIELD_MAX, password: CREDENTIAL_FIELD_MAX });
      const tx = openForm(request, reply, fields, 'login');
      if (!tx) return reply;
      const req = await validateAuthorizationRequest(deps, tx.params);
      const email = (fields!.get('email') ?? '').trim();
      const password = fields!.get('password') ?? '';
      const account = accountKey(email);
      const ip = ipKey(request.ip);
      if (await throttle.isLocked([account, ip])) {
        return showLogin(request, reply, req, { status: 429, email, error: TOO_MANY_ATTEMPTS });
      }
      const user = email !== '' && password !== '' ? await deps.users.authenticate(email, password) : null;
      if (!user || user.blocked) {
        if (email !== '') await throttle.recordFailure(account, ACCOUNT_FAILURE_LIMIT);
        await throttle.recordFailure(ip, IP_FAILURE_LIMIT);
        return showLogin(request, reply, req, { email, error: WRONG_CREDENTIALS });
      }
      await throttle.clear(account);
      await deps.users.recordLogin(user.id);
      // A new session id at every sign-in (no fixation); the previous one ends.
      const previous = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
      if (previous !== undefined) await sessions.delete(previous);
      const sessionId = await sessions.create(user.id);
      // Back to GET /authorize, now signed in (303: the browser follows with a GET).
      return reply
        .code(303)
        .headers(AUTHORIZE_HEADERS)
        .header('Set-Cookie', [cookieHeader(SESSION_COOKIE, sessionId, '/', SESSION_LIFETIME_SECONDS)])
        .header('Location', `/authorize?${new URLSearchParams(tx.params).toString()}`)
        .send();
    } catch (error) {
      return fail(request, reply, error, 303);
    }
  });

  app.post('/authorize/consent', { bodyLimit: AUTHORIZE_FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const fields = formFields(request.body, { tx: TX_MAX_LENGTH, csrf: 100, decision: 10 });
      const tx = openForm(request, reply, fields, 'consent');
      if (!tx) return reply;
      const req = await validateAuthorizationRequest(deps, tx.params);
      const user = await currentUser(request);
      if (!user || user.id !== tx.userId) {
        return errorPage(reply, 400, 'Not signed in', 'Your sign-in has ended. Go back to the application and start again.');
      }
      const decision = fields!.get('decision');
      if (decision === 'deny') throw new AuthorizeError(req, 'access_denied', 'The user denied the request');
      if (decision !== 'allow') return errorPage(reply, 400, 'Invalid form', FORM_EXPIRED);
      await deps.userGrants.recordConsent(user.id, req.client.id, req.api.server.id, req.scopes);
      return await issue(reply, req, user, 303);
    } catch (error) {
      return fail(request, reply, error, 303);
    }
  });
}
