import { CLAIMS_BY_SCOPE } from '../domain/user/standard-claims';

/**
 * The scopes every authorization request may ask without any API defining them (OpenID Connect
 * Core §5.4, §11; Auth0 behaves the same): `openid` (an ID token and the userinfo endpoint), the
 * claim scopes (`profile`, `email`), and `offline_access` (a refresh token).
 */
export const OPENID = 'openid';
export const OFFLINE_ACCESS = 'offline_access';

/** The scopes about the user's identity: they go into access tokens (the userinfo endpoint reads them), whatever the API. */
export const IDENTITY_SCOPES: readonly string[] = [OPENID, ...Object.keys(CLAIMS_BY_SCOPE)];
export const STANDARD_SCOPES: readonly string[] = [...IDENTITY_SCOPES, OFFLINE_ACCESS];

const identity = new Set(IDENTITY_SCOPES);
const standard = new Set(STANDARD_SCOPES);

export function isIdentityScope(scope: string): boolean {
  return identity.has(scope);
}

export function isStandardScope(scope: string): boolean {
  return standard.has(scope);
}

/** What the consent page says of each standard scope, in plain words. */
export const STANDARD_SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [OPENID]: 'Sign you in with your account',
  profile: 'Your profile (your name)',
  email: 'Your email address',
  [OFFLINE_ACCESS]: 'Stay signed in: access your data when you are not using the app',
};

/**
 * Of `scopes`, those a user's access token for an API may carry: the identity scopes and the
 * scopes the API (still) defines; never `offline_access`, which is the refresh token itself.
 */
export function accessTokenScopes(scopes: readonly string[], apiScopes: ReadonlySet<string>): string[] {
  return scopes.filter((s) => s !== OFFLINE_ACCESS && (identity.has(s) || apiScopes.has(s)));
}
