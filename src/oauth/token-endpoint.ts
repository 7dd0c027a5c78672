import { isDatabaseUnavailable } from '../db/database-errors';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { OAuthError, unsupportedGrantType, invalidRequest, temporarilyUnavailable } from './errors';
import { readParams } from './params';
import { authenticateClient } from './client-auth/authenticate';
import { assertClientAllowed, GrantServices } from './grants/grant';
import type { GrantRegistry } from './grants/registry';
import type { ClientOrigins } from './client-origins';

export const TOKEN_BODY_LIMIT = 16 * 1024;

export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply
    .code(error.status)
    .headers({ ...NO_STORE, ...error.headers })
    .send(error.toJSON());
}

/**
 * Answers an unexpected fault as `server_error` without detail, after logging it; an unreachable
 * database as 503 `temporarily_unavailable` (the request may be retried).
 */
export function toOAuthError(error: unknown, log: FastifyInstance['log']): OAuthError {
  if (error instanceof OAuthError) return error;
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, 'database unavailable');
    return temporarilyUnavailable();
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 415) return invalidRequest('Content-Type must be application/x-www-form-urlencoded or application/json');
  if (status === 413) return invalidRequest('The request body is too large');
  if (status !== undefined && status >= 400 && status < 500) return invalidRequest('The request body could not be parsed');
  log.error({ err: error }, 'token endpoint fault');
  return new OAuthError('server_error', 'The server could not complete the request', 500);
}

/** Told the outcome of each token request: "success" or the OAuth error code (for metrics). */
export type TokenOutcomeObserver = (grantType: string, outcome: string) => void;

/** POST /oauth/token: parse → authenticate the client → dispatch on grant_type through the grant registry. */
export function registerTokenEndpoint(
  app: FastifyInstance,
  deps: {
    grants: GrantRegistry;
    /** What grants use (and client authentication: registry, clock). */
    services: GrantServices;
    observe?: TokenOutcomeObserver;
    /** CORS: browsers on an origin the authenticating client allows. */
    origins: ClientOrigins;
  },
): void {
  const { grants, services, origins } = deps;
  origins.registerPreflight(app, '/oauth/token', ['POST']);
  app.post('/oauth/token', { bodyLimit: TOKEN_BODY_LIMIT }, async (request, reply) => {
    let grantType: string | undefined;
    try {
      const params = readParams(request.body);
      grantType = params.get('grant_type');
      if (grantType === undefined) throw invalidRequest('grant_type is required');
      const grant = grants.get(grantType);
      if (grant === undefined) throw unsupportedGrantType('This grant type is not supported');
      const { client } = await authenticateClient(services, request.headers.authorization, params);
      origins.admit(request, reply, client);
      assertClientAllowed(client, grant);
      const token = await grant.handle({ client, params, requestId: request.id, services });
      deps.observe?.(grantType, 'success');
      return reply.headers(NO_STORE).send({
        access_token: token.accessToken,
        token_type: token.tokenType,
        expires_in: token.expiresIn,
        scope: token.scope,
        ...(token.refreshToken !== undefined ? { refresh_token: token.refreshToken } : {}),
        ...(token.idToken !== undefined ? { id_token: token.idToken } : {}),
      });
    } catch (error) {
      const oauthError = toOAuthError(error, request.log);
      deps.observe?.(grants.label(grantType), oauthError.error);
      await origins.exposeError(request, reply, oauthError);
      return sendOAuthError(reply, oauthError);
    }
  });
}
