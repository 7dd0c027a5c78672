import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyRing } from '../../crypto/key-ring';
import type { SessionService } from '../../domain/sign-in/session.service';
import { formFields } from '../authorize/interaction';
import { AUTHORIZE_HEADERS, errorPage, escapeHtml, sendPage, temporarilyUnavailablePage } from '../authorize/pages';
import { isDatabaseUnavailable } from '../../db/database-errors';
import { PageError, parseQuery, rawQueryOf } from '../authorize/request';
import { clearedSessionCookie, sessionIdFromCookies } from '../authorize/sign-in-step';
import { CLIENT_ID_MAX } from '../../domain/client/client.rules';
import { PARAM_VALUE_MAX } from '../params';
import type { Registry } from '../registry';
import { readIdTokenHint } from './id-token-hint';

/** OpenID Connect RP-Initiated Logout 1.0 (discovery's end_session_endpoint), and Auth0's logout. */
export const END_SESSION_PATH = '/oidc/logout';
export const AUTH0_LOGOUT_PATH = '/v2/logout';

export interface LogoutDeps {
  issuer: string;
  registry: Registry;
  keyRing: KeyRing;
  sessions: Pick<SessionService, 'end'>;
}

/** A logout request, whichever endpoint received it. */
interface LogoutRequest {
  clientId?: string;
  idTokenHint?: string;
  /** post_logout_redirect_uri (Auth0: returnTo). */
  redirectUri?: string;
  state?: string;
}

/**
 * Ends the browser's sign-in session (the session row and its cookie) and, when the request names
 * its client and a URI that client registered in `allowedLogoutUrls` (exact string match, like
 * callbacks), sends the browser there, with `state` echoed. An unregistered URI never gets a
 * redirect: an error page instead, and the session stays (the request is refused as a whole).
 * Without a URI, a "signed out" page.
 *
 * As at Auth0, no confirmation is asked: a forged logout only signs the user out.
 */
export function registerLogoutEndpoints(app: FastifyInstance, deps: LogoutDeps): void {
  const secure = deps.issuer.startsWith('https:');

  const logout = async (request: FastifyRequest, reply: FastifyReply, req: LogoutRequest) => {
    try {
      const target = await redirectTarget(deps, req);
      const sessionId = sessionIdFromCookies(request.headers.cookie, secure);
      if (sessionId !== undefined) await deps.sessions.end(sessionId);
      reply.header('Set-Cookie', [clearedSessionCookie(secure)]);
      if (target === undefined) return signedOutPage(reply);
      return reply.code(303).headers(AUTHORIZE_HEADERS).header('Location', target).send();
    } catch (error) {
      if (error instanceof PageError) return errorPage(reply, error.status, error.title, error.detail);
      if (isDatabaseUnavailable(error)) {
        request.log.warn({ err: error }, 'database unavailable');
        return temporarilyUnavailablePage(reply);
      }
      request.log.error({ err: error }, 'logout endpoint fault');
      return errorPage(reply, 500, 'Something went wrong', 'The server could not complete the request.');
    }
  };

  const endSession = (request: FastifyRequest, reply: FastifyReply, params: Map<string, string>) =>
    logout(request, reply, {
      clientId: params.get('client_id'),
      idTokenHint: params.get('id_token_hint'),
      redirectUri: params.get('post_logout_redirect_uri'),
      state: params.get('state'),
    });

  /** The query's parameters, one value each; null (after an error page) when they cannot be read or one is repeated. */
  const queryParams = (request: FastifyRequest, reply: FastifyReply): Map<string, string> | null => {
    try {
      const { params, repeated } = parseQuery(rawQueryOf(request.url));
      if (repeated.size > 0) throw new PageError('Invalid request', 'A logout parameter is repeated.');
      return new Map(params);
    } catch (error) {
      if (!(error instanceof PageError)) throw error;
      errorPage(reply, error.status, error.title, error.detail);
      return null;
    }
  };

  // RP-Initiated Logout §2: GET and POST (a form). No HEAD route: a HEAD request must not sign anyone out.
  app.get(END_SESSION_PATH, { exposeHeadRoute: false }, async (request, reply) => {
    const params = queryParams(request, reply);
    return params === null ? reply : endSession(request, reply, params);
  });
  app.post(END_SESSION_PATH, async (request, reply) => {
    const fields = formFields(request.body, {
      client_id: CLIENT_ID_MAX,
      id_token_hint: PARAM_VALUE_MAX,
      post_logout_redirect_uri: PARAM_VALUE_MAX,
      state: PARAM_VALUE_MAX,
    });
    if (!fields) return errorPage(reply, 400, 'Invalid request', 'The logout request could not be read.');
    return endSession(request, reply, fields);
  });
  // Auth0: GET /v2/logout?client_id=…&returnTo=… (federated and other parameters are ignored).
  app.get(AUTH0_LOGOUT_PATH, { exposeHeadRoute: false }, async (request, reply) => {
    const params = queryParams(request, reply);
    if (params === null) return reply;
    return logout(request, reply, { clientId: params.get('client_id'), redirectUri: params.get('returnTo') });
  });
}

/** Where to send the browser after logout (with `state`), or undefined for the signed-out page; PageError when refused. */
async function redirectTarget(deps: LogoutDeps, req: LogoutRequest): Promise<string | undefined> {
  let clientId = req.clientId;
  if (req.idTokenHint !== undefined) {
    const hint = await readIdTokenHint(deps.keyRing, deps.issuer, req.idTokenHint);
    if (!hint) throw new PageError('Invalid logout request', 'The id_token_hint is not an ID token of this server.');
    if (clientId !== undefined && clientId !== hint.clientId) {
      throw new PageError('Invalid logout request', 'The client_id does not match the id_token_hint.');
    }
    clientId = hint.clientId;
  }
  const client = clientId !== undefined && clientId.length <= CLIENT_ID_MAX ? await deps.registry.client(clientId) : null;
  if (clientId !== undefined && !client) throw new PageError('Unknown application', 'No application has this client_id.');
  if (req.redirectUri === undefined) return undefined;
  if (!client) {
    throw new PageError('Invalid logout request', 'A return URL needs the application: send client_id or id_token_hint with it.');
  }
  if (!client.client.allowedLogoutUrls.includes(req.redirectUri)) {
    throw new PageError('Invalid return URL', 'The return URL is not one of the application’s allowed logout URLs.');
  }
  // Through URL: percent-encoded for the Location header, `state` added to any query the URI has.
  const url = new URL(req.redirectUri);
  if (req.state !== undefined) url.searchParams.append('state', req.state);
  return url.toString();
}

function signedOutPage(reply: FastifyReply): FastifyReply {
  return sendPage(reply, 200, {
    title: 'Signed out',
    formAction: [],
    formActionSelf: false,
    body: `<h1>${escapeHtml('You are signed out')}</h1>
<p class="sub">You can close this window.</p>`,
  });
}
