import type { ClientEntity } from '../../domain/client/client.entity';
import type { RefreshTokenService } from '../../domain/refresh-token/refresh-token.service';
import type { AccessTokenIssuer, IssuedToken } from '../access-token';
import { invalidGrant, invalidRequest, invalidScope, unauthorizedClient } from '../errors';
import type { Registry } from '../registry';
import { parseScopeParam } from '../scope';
import { applyUserPolicy, OFFLINE_ACCESS, RolePermissions } from '../user-policy';

export interface RefreshTokenDeps {
  registry: Registry;
  issuer: AccessTokenIssuer;
  refreshTokens: Pick<RefreshTokenService, 'exchange'>;
  /** RBAC: the user's permissions, for APIs with enforcePolicies. */
  roles: RolePermissions;
}

/** A token response's extra member: the new refresh token, when one was issued. */
export type TokenWithRefresh = IssuedToken & { refreshToken?: string };

/**
 * RFC 6749 §6 for an authenticated client allowed the refresh_token grant. `scope` may narrow the
 * token's scopes, never widen them (`offline_access` in it is ignored: it is what the refresh token
 * is). The access token carries the requested (or all the token's) scopes the API still defines,
 * under the user's policy (RBAC) as it is now. With rotation the response carries the successor.
 */
export async function exchangeRefreshToken(deps: RefreshTokenDeps, client: ClientEntity, params: Map<string, string>): Promise<TokenWithRefresh> {
  if (!client.grantTypes.includes('REFRESH_TOKEN')) {
    throw unauthorizedClient('This client is not allowed the refresh_token grant');
  }
  const presented = params.get('refresh_token');
  if (presented === undefined) throw invalidRequest('refresh_token is required');
  const scopeParam = params.get('scope');
  const requested = scopeParam === undefined ? undefined : parseScopeParam(scopeParam).filter((s) => s !== OFFLINE_ACCESS);

  const result = await deps.refreshTokens.exchange(presented, client, { scopes: requested });
  if (result.status === 'invalid') throw invalidGrant('The refresh token is invalid, expired or revoked');
  if (result.status === 'reused') {
    throw invalidGrant('The refresh token was already used; every refresh token of this authorization is revoked');
  }
  if (result.status === 'invalid_scope') {
    throw invalidScope(`Scope not granted by this refresh token: ${result.notHeld.slice(0, 5).join(' ').slice(0, 300)}`);
  }
  const { token } = result;
  const api = await deps.registry.apiById(token.resourceServerId);
  if (!api) throw invalidGrant('The API of this refresh token no longer exists');

  const scopes = (requested ?? token.scopes).filter((s) => s !== OFFLINE_ACCESS && api.scopes.has(s));
  const policy = await applyUserPolicy(deps.roles, api, token.userId, scopes);
  const accessToken = await deps.issuer.issueForUser(client, api, token.userId, policy.scopes, undefined, policy.permissions);
  return { ...accessToken, refreshToken: result.newRefreshToken };
}
