import type { FastifyInstance } from 'fastify';
import { invalidRequest } from './errors';
import { readParams } from './params';
import type { AuthenticatedClient, ClientAuthenticator } from './client-auth/authenticate';
import { oauthRouteOptions, sendOAuthError, toOAuthError, NO_STORE } from './token-endpoint';
import type { OAuthRouteHooks } from './rate-limits';
import { InvalidTokenError } from './token-verifier';
import type { ClientOrigins } from './client-origins';
import type { TokenValidator } from './token-validator';
import type { RefreshTokenService } from '../domain/refresh-token/refresh-token.service';
import type { RevocationService } from '../domain/revocation/revocation.service';

/** A compact JWS: three base64url parts (access tokens); refresh tokens are one part. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * POST /oauth/revoke (RFC 7009). The client authenticates as at the token endpoint (a public
 * client with its client_id alone, RFC 7009 §2.1) and revokes one of its own tokens:
 * - a refresh token: its whole family (every token rotated from the same authorization);
 * - an access token (a JWT this service issued, still active): its jti is denylisted until it expires.
 * `token_type_hint` (refresh_token or access_token) only decides which kind is tried first; other
 * values are ignored. An unknown, expired or already revoked token, or another client's, is
 * answered like a success (200, empty body) and left alone: the caller learns nothing.
 */
export function registerRevocationEndpoint(
  app: FastifyInstance,
  deps: {
    clientAuth: ClientAuthenticator;
    validator: TokenValidator;
    refreshTokens: Pick<RefreshTokenService, 'findByToken' | 'revokeFamily'>;
    revocations: Pick<RevocationService, 'denylist'>;
    /** CORS: browsers on an origin the authenticating client allows. */
    origins: ClientOrigins;
    rateLimits: OAuthRouteHooks;
  },
): void {
  const authenticateClient = deps.clientAuth.at('/oauth/revoke');
  deps.origins.registerPreflight(app, '/oauth/revoke', ['POST']);
  /** True when `token` was a refresh token (of this client or not). */
  const revokeRefreshToken = async (caller: AuthenticatedClient, token: string): Promise<boolean> => {
    const found = await deps.refreshTokens.findByToken(token);
    if (!found) return false;
    if (found.clientUuid === caller.client.id) await deps.refreshTokens.revokeFamily(found.familyId);
    return true;
  };

  /** True when `token` was an active access token (of this client or not). */
  const revokeAccessToken = async (caller: AuthenticatedClient, token: string): Promise<boolean> => {
    if (!JWT_SHAPE.test(token)) return false;
    let valid;
    try {
      valid = await deps.validator.validate(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) return false;
      throw error;
    }
    if (valid.clientId === caller.client.clientId) {
      await deps.revocations.denylist({
        jti: valid.payload.jti,
        resourceServerId: valid.api.server.id,
        expiresAt: new Date(valid.payload.exp * 1000),
      });
    }
    return true;
  };

  app.post('/oauth/revoke', oauthRouteOptions(deps.rateLimits, deps.origins), async (request, reply) => {
    try {
      const params = readParams(request.body);
      const caller = await authenticateClient(request, params);
      deps.origins.admit(request, reply, caller.client);
      const token = params.get('token');
      if (token === undefined) throw invalidRequest('token is required');
      const order =
        params.get('token_type_hint') === 'access_token'
          ? [revokeAccessToken, revokeRefreshToken]
          : [revokeRefreshToken, revokeAccessToken];
      for (const attempt of order) {
        if (await attempt(caller, token)) break;
      }
      return reply.code(200).headers(NO_STORE).send();
    } catch (error) {
      const oauthError = toOAuthError(error, request.log);
      await deps.origins.exposeError(request, reply, oauthError);
      return sendOAuthError(reply, oauthError);
    }
  });
}
