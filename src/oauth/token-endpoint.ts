import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/database-errors';
import { isTextEncodingError } from '../db/text-encoding-error';
import { OAuthError, unsupportedGrantType, invalidRequest, temporarilyUnavailable } from './errors';
import { readParams } from './params';
import type { ClientAuthenticator } from './client-auth/authenticate';
import { assertClientAllowed, GrantServices } from './grants/grant';
import type { GrantRegistry } from './grants/registry';
import type { ClientOrigins } from './client-origins';
import { notAFailure, type OAuthRouteHooks } from './rate-limits';
import { dpopHeader, type DpopProofVerifier } from './dpop/proof';

export const TOKEN_BODY_LIMIT = 16 * 1024;

export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply
    .code(error.status)
    .headers({ ...NO_STORE, ...error.headers })
    .send(error.toJSON());
}

/**
 * The `invalid_request` of a failure that is the request's own: Fastify's refusals of the body
 * (unsupported content type, too large, malformed JSON), answered 400 as RFC 6749 §5.2 asks, and
 * text the database cannot store; undefined for anything else.
 */
export function requestFault(error: unknown): OAuthError | undefined {
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 415) return invalidRequest('Content-Type must be application/x-www-form-urlencoded or application/json');
  if (status === 413) return invalidRequest('The request body is too large');
  if (status !== undefined && status >= 400 && status < 500) return invalidRequest('The request body could not be parsed');
  if (isTextEncodingError(error)) return invalidRequest('A parameter holds a character the server cannot store');
  return undefined;
}

/**
 * The OAuth error of any failure: an unreachable database is 503 `temporarily_unavailable` (the
 * request may be retried); an unexpected fault is `server_error` without detail, after logging it.
 */
export function toOAuthError(error: unknown, log: FastifyInstance['log']): OAuthError {
  if (error instanceof OAuthError) return error;
  const fault = requestFault(error);
  if (fault) return fault;
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, 'database unavailable');
    return temporarilyUnavailable();
  }
  log.error({ err: error }, 'OAuth endpoint fault');
  return new OAuthError('server_error', 'The server could not complete the request', 500);
}

/**
 * The `errorHandler` of an OAuth route: a request Fastify refuses before the handler runs (content
 * type, body limit, JSON syntax) answers RFC 6749 JSON too, with `no-store`; `origins` (the
 * endpoints browsers call) makes it readable by an origin some client allows, as the handler's errors are.
 */
export function oauthErrorHandler(origins?: ClientOrigins) {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const oauthError = toOAuthError(error, request.log);
    await origins?.exposeError(request, reply, oauthError);
    return sendOAuthError(reply, oauthError);
  };
}

/** The options of each route clients authenticate to: body limit, OAuth error answers (CORS for `origins`), rate limits. */
export function oauthRouteOptions(rateLimits: OAuthRouteHooks, origins?: ClientOrigins) {
  return { bodyLimit: TOKEN_BODY_LIMIT, errorHandler: oauthErrorHandler(origins), ...rateLimits };
}

/** Told the outcome of each token request: "success" or the OAuth error code (for metrics). */
export type TokenOutcomeObserver = (grantType: string, outcome: string) => void;

/**
 * POST /oauth/token: parse → authenticate the client → check its DPoP proof, if it sent one →
 * dispatch on grant_type through the grant registry. A request without a `DPoP` header does no DPoP work.
 */
export function registerTokenEndpoint(
  app: FastifyInstance,
  deps: {
    grants: GrantRegistry;
    /** What grants use. */
    services: GrantServices;
    clientAuth: ClientAuthenticator;
    observe?: TokenOutcomeObserver;
    /** CORS: browsers on an origin the authenticating client allows. */
    origins: ClientOrigins;
    rateLimits: OAuthRouteHooks;
    dpop: DpopProofVerifier;
    /** The token endpoint's URL under the issuer: the `htu` of its DPoP proofs. */
    url: string;
  },
): void {
  const { grants, services, origins } = deps;
  const authenticateClient = deps.clientAuth.at('/oauth/token');
  origins.registerPreflight(app, '/oauth/token', ['POST']);
  app.post('/oauth/token', oauthRouteOptions(deps.rateLimits, origins), async (request, reply) => {
    let grantType: string | undefined;
    try {
      const params = readParams(request.body);
      grantType = params.get('grant_type');
      if (grantType === undefined) throw invalidRequest('grant_type is required');
      const grant = grants.get(grantType);
      if (grant === undefined) throw unsupportedGrantType('This grant type is not supported');
      const proofHeader = dpopHeader(request.headers);
      const { client } = await authenticateClient(request, params);
      origins.admit(request, reply, client);
      assertClientAllowed(client, grant);
      // After client authentication: only an authenticated client's proofs reach the replay store.
      const proof = proofHeader === undefined ? undefined : await deps.dpop.verify(proofHeader, { method: 'POST', url: deps.url });
      const token = await grant.handle({ client, params, requestId: request.id, services, dpopJkt: proof?.jkt });
      deps.observe?.(grantType, 'success');
      if (proof?.nonce !== undefined) reply.header('DPoP-Nonce', proof.nonce);
      return reply.headers(NO_STORE).send({
        access_token: token.accessToken,
        token_type: token.tokenType,
        expires_in: token.expiresIn,
        scope: token.scope,
        ...(token.refreshToken !== undefined ? { refresh_token: token.refreshToken } : {}),
        ...(token.idToken !== undefined ? { id_token: token.idToken } : {}),
        ...(token.issuedTokenType !== undefined ? { issued_token_type: token.issuedTokenType } : {}),
      });
    } catch (error) {
      const oauthError = toOAuthError(error, request.log);
      if (oauthError.expected) notAFailure(request);
      deps.observe?.(grants.label(grantType), oauthError.error);
      await origins.exposeError(request, reply, oauthError);
      return sendOAuthError(reply, oauthError);
    }
  });
}
