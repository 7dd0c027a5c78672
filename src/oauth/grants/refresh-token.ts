import { invalidGrant, invalidRequest, invalidScope, invalidTarget } from '../errors';
import { parseScopeParam } from '../scope';
import { accessTokenScopes, isIdentityScope, OFFLINE_ACCESS } from '../standard-scopes';
import { authenticationOf } from '../../domain/sign-in/authentication';
import type { GrantDefinition, GrantRequest, GrantResponse } from './grant';
import type { IssuedToken } from '../tokens/pipeline';
import type { TokenClient } from '../../domain/token-read-model';
import { isPublicClient } from '../../domain/client/client.rules';

/**
 * The key a new refresh-token family is bound to (RFC 9449 §5): a public client's, when its access
 * token was bound (a confidential client's refresh tokens are bound to its authentication instead).
 */
export function refreshTokenBinding(client: TokenClient, token: IssuedToken): string | null {
  return token.jkt !== undefined && isPublicClient(client.appType) ? token.jkt : null;
}

/**
 * RFC 6749 §6 for an authenticated client allowed the refresh_token grant. `scope` may narrow the
 * token's scopes, never widen them. What libraries repeat on a refresh is accepted without being
 * a widening: `offline_access` (what the refresh token is), identity scopes the token does not
 * hold (left out), a `redirect_uri` (ignored), and `audience`/`resource` naming the token's own API
 * (any other API: `invalid_target`). The access token carries the requested (or all the token's)
 * scopes the API still defines and the identity scopes, under the user's policy (RBAC) as it is
 * now; with `openid`, a new ID token for the same user and sign-in (OpenID Connect Core §12.2).
 * With rotation the response carries the successor. A family bound to a DPoP key (a public
 * client's, RFC 9449 §5) is refreshed only with a proof by that key.
 */
export const refreshTokenGrant: GrantDefinition = {
  grantType: 'refresh_token',
  requiredClientGrant: 'REFRESH_TOKEN',
  params: ['refresh_token', 'scope', 'redirect_uri', 'audience', 'resource'],
  handle: exchangeRefreshToken,
};

async function exchangeRefreshToken({ client, params, requestId, services: deps, dpopJkt }: GrantRequest): Promise<GrantResponse> {
  const presented = params.get('refresh_token');
  if (presented === undefined) throw invalidRequest('refresh_token is required');
  const scopeParam = params.get('scope');
  const asked = scopeParam === undefined ? undefined : parseScopeParam(scopeParam).filter((s) => s !== OFFLINE_ACCESS);

  // The tokens are issued before the exchange commits (rotation, last use): a refusal while
  // issuing (a token hook's access_denied) then leaves the refresh token as it was, not rotated
  // away with its successor lost. Tokens issued for an exchange that then fails are never handed out.
  const stored = await deps.refreshTokens.findByToken(presented);
  const requested = asked?.filter((s) => !isIdentityScope(s) || stored?.scopes.includes(s));
  let issuing: Promise<{ token: IssuedToken; idToken?: string }> | undefined;
  if (stored !== null && stored.clientUuid === client.id && stored.revokedAt === null) {
    if (stored.dpopJkt !== null && stored.dpopJkt !== dpopJkt) {
      throw invalidGrant('The refresh token is bound to a DPoP key: send a DPoP proof signed by that key');
    }
    const api = await deps.registry.apiById(stored.resourceServerId);
    if (!api) throw invalidGrant('The API of this refresh token no longer exists');
    for (const name of ['audience', 'resource']) {
      const target = params.get(name);
      if (target !== undefined && target !== api.server.identifier)
        throw invalidTarget(`${name} does not name the API of the refresh token`);
    }
    const user = await deps.users.findById(stored.userId);
    if (user !== null && !user.blocked) {
      const scopes = accessTokenScopes(requested ?? stored.scopes, api.scopes);
      issuing = deps.pipeline.issueUserTokens(
        { grantType: refreshTokenGrant.grantType, client, api, user, scopes, requestId, dpopJkt },
        // The sign-in of the family; never the nonce again (OpenID Connect Core §12.2).
        { authentication: authenticationOf(stored) },
      );
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
  const { token, idToken } = await issuing;
  return { ...token, refreshToken: result.newRefreshToken, idToken };
}
