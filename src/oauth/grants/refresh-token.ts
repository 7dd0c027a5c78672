import { invalidGrant, invalidRequest, invalidScope } from '../errors';
import { parseScopeParam } from '../scope';
import { OFFLINE_ACCESS } from '../user-policy';
import type { GrantDefinition, GrantRequest, GrantResponse } from './grant';
import type { IssuedToken } from '../tokens/pipeline';

/**
 * RFC 6749 §6 for an authenticated client allowed the refresh_token grant. `scope` may narrow the
 * token's scopes, never widen them (`offline_access` in it is ignored: it is what the refresh token
 * is). The access token carries the requested (or all the token's) scopes the API still defines,
 * under the user's policy (RBAC) as it is now. With rotation the response carries the successor.
 */
export const refreshTokenGrant: GrantDefinition = {
  grantType: 'refresh_token',
  requiredClientGrant: 'REFRESH_TOKEN',
  params: ['refresh_token', 'scope'],
  handle: exchangeRefreshToken,
};

async function exchangeRefreshToken({ client, params, requestId, services: deps }: GrantRequest): Promise<GrantResponse> {
  const presented = params.get('refresh_token');
  if (presented === undefined) throw invalidRequest('refresh_token is required');
  const scopeParam = params.get('scope');
  const requested = scopeParam === undefined ? undefined : parseScopeParam(scopeParam).filter((s) => s !== OFFLINE_ACCESS);

  // The access token is issued before the exchange commits (rotation, last use): a refusal while
  // issuing (a token hook's access_denied) then leaves the refresh token as it was, not rotated
  // away with its successor lost. A token issued for an exchange that then fails is never handed out.
  const stored = await deps.refreshTokens.findByToken(presented);
  let issuing: Promise<IssuedToken> | undefined;
  if (stored !== null && stored.clientUuid === client.id && stored.revokedAt === null) {
    const api = await deps.registry.apiById(stored.resourceServerId);
    if (!api) throw invalidGrant('The API of this refresh token no longer exists');
    const user = await deps.users.findById(stored.userId);
    if (user !== null && !user.blocked) {
      const scopes = (requested ?? stored.scopes).filter((s) => s !== OFFLINE_ACCESS && api.scopes.has(s));
      issuing = deps.pipeline.issueAccessToken({ grantType: refreshTokenGrant.grantType, client, api, user, scopes, requestId });
      // Settled before the exchange: a refusal answers now, with the refresh token untouched.
      await issuing;
    }
  }

  const result = await deps.refreshTokens.exchange(presented, client, { scopes: requested });
  if (result.status === 'invalid') throw invalidGrant('The refresh token is invalid, expired or revoked');
  if (result.status === 'reused') {
    throw invalidGrant('The refresh token was already used; every refresh token of this authorization is revoked');
  }
  if (result.status === 'invalid_scope') {
    throw invalidScope(`Scope not granted by this refresh token: ${result.notHeld.slice(0, 5).join(' ').slice(0, 300)}`);
  }
  // The exchange refused blocked users, unknown and other clients' tokens: what was issued above is for this very token.
  if (issuing === undefined) throw invalidGrant('The refresh token is invalid, expired or revoked');
  return { ...(await issuing), refreshToken: result.newRefreshToken };
}
