// Signing in as a person: authorization code + PKCE with oidc-client-ts against the service's own
// /authorize, as the built-in console client (settings from /console/config.json). The user and its
// tokens (refresh token included) live in memory only: a reload signs in again, through the
// service's session. Only the sign-in's state and PKCE verifier wait in sessionStorage for the
// callback (no token ever does).
import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { pageConfig } from './page-config';

/** GET /console/config.json: issuer, clientId, audience, redirectUri, postLogoutRedirectUri, scopes, tokenHookTimeoutMs. */
export async function loadConsoleConfig() {
  const response = await fetch(`${pageConfig.basePath}config.json`, { cache: 'no-store', credentials: 'omit' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return response.json();
}

export function createUserManager(config) {
  return new UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    post_logout_redirect_uri: config.postLogoutRedirectUri,
    response_type: 'code',
    scope: ['openid', 'offline_access', ...config.scopes].join(' '),
    extraQueryParams: { audience: config.audience },
    loadUserInfo: false,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    // Renewed with the refresh token before the access token expires.
    automaticSilentRenew: true,
    monitorSession: false,
  });
}

/** The access token of the signed-in user, renewed first when it has expired. */
export async function accessTokenOf(manager) {
  const user = await manager.getUser();
  if (!user) throw new Error('not signed in');
  if (!user.expired) return user.access_token;
  const renewed = await manager.signinSilent();
  return renewed.access_token;
}
