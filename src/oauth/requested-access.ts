import type { ClientEntity } from '../domain/client/client.entity';
import { DefaultAudiences, resolveAuthorizationApi } from './audience';
import { assertUserTokenAllowed } from './management-user-tokens';
import type { CachedApi, Registry } from './registry';
import { parseScopeParam } from './scope';
import { isIdentityScope, isStandardScope, OFFLINE_ACCESS } from './standard-scopes';

/** What a request on a user's behalf (/authorize, device authorization) asks for: one API and the scopes kept. */
export interface RequestedAccess {
  api: CachedApi;
  scopes: string[];
}

/**
 * The API and scopes of a request made on a user's behalf. The standard scopes (openid profile
 * email offline_access) need no API to define them; any other scope the API does not define is
 * dropped (Auth0 behaves so): what is granted shows on the consent page and in the token's `scope`.
 * `offline_access` is kept when the API allows offline access, the client may refresh and the flow
 * returns a refresh token (`refreshable`). The Management API takes user tokens from the console
 * only (management-user-tokens.ts). Failures are OAuthErrors (invalid_scope, invalid_request,
 * invalid_target).
 */
export async function resolveRequestedAccess(
  deps: { registry: Registry; audiences: DefaultAudiences },
  params: Map<string, string>,
  client: Pick<ClientEntity, 'grantTypes' | 'builtin'>,
  refreshable: boolean,
): Promise<RequestedAccess> {
  const scopeText = params.get('scope');
  const requested = scopeText === undefined ? [] : parseScopeParam(scopeText);
  const api = await resolveAuthorizationApi(deps.registry, params, deps.audiences, requested.every(isStandardScope));
  assertUserTokenAllowed(api.server, client);
  const offlineAllowed = api.server.allowOfflineAccess && client.grantTypes.includes('REFRESH_TOKEN') && refreshable;
  const scopes = requested.filter((s) => (s === OFFLINE_ACCESS ? offlineAllowed : isIdentityScope(s) || api.scopes.has(s)));
  return { api, scopes };
}
