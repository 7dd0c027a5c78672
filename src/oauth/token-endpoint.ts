import type { FastifyInstance, FastifyReply } from 'fastify';
import { OAuthError, unsupportedGrantType, invalidRequest } from './errors';
import { readParams } from './params';
import { authenticateClient } from './client-auth';
import { resolveApi } from './audience';
import { parseScopeParam } from './scope';
import { assertClientCredentialsAllowed, issueClientCredentials } from './grants/client-credentials';
import { exchangeAuthorizationCode, UserLookup } from './grants/authorization-code';
import { exchangeRefreshToken, TokenWithRefresh } from './grants/refresh-token';
import type { RefreshTokenService } from '../domain/refresh-token/refresh-token.service';
import type { RolePermissions } from './user-policy';
import type { AuthorizationCodeService } from '../domain/authorization/authorization-code.service';
import type { Registry } from './registry';
import type { AccessTokenIssuer } from './access-token';

export const TOKEN_BODY_LIMIT = 16 * 1024;
export const SUPPORTED_GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'];

export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply.code(error.status).headers({ ...NO_STORE, ...error.headers }).send(error.toJSON());
}

/** Answers an unexpected fault as `server_error` without detail, after logging it. */
export function toOAuthError(error: unknown, log: FastifyInstance['log']): OAuthError {
  if (error instanceof OAuthError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 415) return invalidRequest('Content-Type must be application/x-www-form-urlencoded or application/json');
  if (status === 413) return invalidRequest('The request body is too large');
  if (status !== undefined && status >= 400 && status < 500) return invalidRequest('The request body could not be parsed');
  log.error({ err: error }, 'token endpoint fault');
  return new OAuthError('server_error', 'The server could not complete the request', 500);
}

/** A metric label for a grant_type value: a supported type, "none" or "other" (never the caller's text). */
export function grantTypeLabel(grantType: string | undefined): string {
  if (grantType === undefined) return 'none';
  return SUPPORTED_GRANT_TYPES.includes(grantType) ? grantType : 'other';
}

/** Told the outcome of each token request: "success" or the OAuth error code (for metrics). */
export type TokenOutcomeObserver = (grantType: string, outcome: string) => void;

/** POST /oauth/token: parse → authenticate the client → dispatch on grant_type. */
export function registerTokenEndpoint(
  app: FastifyInstance,
  deps: {
    registry: Registry;
    issuer: AccessTokenIssuer;
    authorizationCodes: AuthorizationCodeService;
    users: UserLookup;
    /** RBAC: the user's permissions, for APIs with enforcePolicies. */
    roles: RolePermissions;
    /** Refresh tokens: issued by the authorization_code grant, used by the refresh_token grant. */
    refreshTokens: RefreshTokenService;
    observe?: TokenOutcomeObserver;
  },
): void {
  app.post('/oauth/token', { bodyLimit: TOKEN_BODY_LIMIT }, async (request, reply) => {
    let grantType: string | undefined;
    try {
      const params = readParams(request.body);
      grantType = params.get('grant_type');
      if (grantType === undefined) throw invalidRequest('grant_type is required');
      if (!SUPPORTED_GRANT_TYPES.includes(grantType)) {
        throw unsupportedGrantType('This grant type is not supported');
      }
      const { client } = await authenticateClient(deps.registry, request.headers.authorization, params);
      let token: TokenWithRefresh;
      if (grantType === 'authorization_code') {
        token = await exchangeAuthorizationCode(deps, client, params);
      } else if (grantType === 'refresh_token') {
        token = await exchangeRefreshToken(deps, client, params);
      } else {
        assertClientCredentialsAllowed(client);
        const api = await resolveApi(deps.registry, params);
        const scope = params.get('scope');
        token = await issueClientCredentials(deps, client, api, scope === undefined ? undefined : parseScopeParam(scope));
      }
      deps.observe?.(grantType, 'success');
      return reply.headers(NO_STORE).send({
        access_token: token.accessToken,
        token_type: token.tokenType,
        expires_in: token.expiresIn,
        scope: token.scope,
        ...(token.refreshToken !== undefined ? { refresh_token: token.refreshToken } : {}),
      });
    } catch (error) {
      const oauthError = toOAuthError(error, request.log);
      deps.observe?.(grantTypeLabel(grantType), oauthError.error);
      return sendOAuthError(reply, oauthError);
    }
  });
}
