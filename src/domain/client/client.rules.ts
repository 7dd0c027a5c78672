import { IssueList } from '../errors';
import { checkListSize, checkSeconds, checkNoDuplicates, isLoopbackHost, parseWebUrl, truncate } from '../validation';
import type { AsymmetricAlgorithm } from '../../crypto/key-pairs';

export const APP_TYPES = ['NATIVE', 'SPA', 'REGULAR_WEB', 'MACHINE_TO_MACHINE'] as const;
export type AppType = (typeof APP_TYPES)[number];

export const GRANT_TYPES = [
  'AUTHORIZATION_CODE',
  'IMPLICIT',
  'REFRESH_TOKEN',
  'CLIENT_CREDENTIALS',
  'TOKEN_EXCHANGE',
  'DEVICE_CODE',
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/**
 * The grant types whose tokens come from client grants (the client's own authorization for an
 * API): a client holds client grants only while it is allowed one of them.
 */
export const CLIENT_GRANT_TYPES: readonly GrantType[] = ['CLIENT_CREDENTIALS', 'TOKEN_EXCHANGE'];

/** Whether a client with these grant types may hold client grants. */
export function mayHoldClientGrants(grantTypes: readonly GrantType[]): boolean {
  return grantTypes.some((grant) => CLIENT_GRANT_TYPES.includes(grant));
}

export const TOKEN_ENDPOINT_AUTH_METHODS = ['NONE', 'CLIENT_SECRET_BASIC', 'CLIENT_SECRET_POST', 'PRIVATE_KEY_JWT'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/** The longest OAuth client_id (the column's width): a longer one names no client, without a lookup. */
export const CLIENT_ID_MAX = 64;
export const CLIENT_DESCRIPTION_MAX = 140;
export const URLS_PER_LIST_MAX = 100;
export const URL_MAX = 2000;

/** Native and single-page apps cannot keep a secret: they authenticate with `NONE`. */
export function isPublicClient(appType: AppType): boolean {
  return appType === 'NATIVE' || appType === 'SPA';
}

/**
 * DEVICE_CODE (RFC 8628, never a default) for apps on input-constrained devices: native ones (TV,
 * CLI), and confidential regular-web ones whose device holds a credential; not single-page apps (a
 * browser can redirect) nor machines (no user).
 */
export const ALLOWED_GRANT_TYPES: Record<AppType, readonly GrantType[]> = {
  NATIVE: ['AUTHORIZATION_CODE', 'IMPLICIT', 'REFRESH_TOKEN', 'DEVICE_CODE'],
  SPA: ['AUTHORIZATION_CODE', 'IMPLICIT', 'REFRESH_TOKEN'],
  REGULAR_WEB: ['AUTHORIZATION_CODE', 'IMPLICIT', 'REFRESH_TOKEN', 'CLIENT_CREDENTIALS', 'TOKEN_EXCHANGE', 'DEVICE_CODE'],
  // TOKEN_EXCHANGE: confidential clients only, a public one cannot prove who is exchanging.
  MACHINE_TO_MACHINE: ['CLIENT_CREDENTIALS', 'TOKEN_EXCHANGE'],
};

export const DEFAULT_GRANT_TYPES: Record<AppType, readonly GrantType[]> = {
  NATIVE: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'],
  SPA: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'],
  REGULAR_WEB: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'],
  MACHINE_TO_MACHINE: ['CLIENT_CREDENTIALS'],
};

export function defaultAuthMethod(appType: AppType): TokenEndpointAuthMethod {
  return isPublicClient(appType) ? 'NONE' : 'CLIENT_SECRET_BASIC';
}

/** Whether the client authenticates with a secret: confidential, and not with its keys (PRIVATE_KEY_JWT). */
export function usesSecret(client: { appType: AppType; tokenEndpointAuthMethod: TokenEndpointAuthMethod }): boolean {
  return !isPublicClient(client.appType) && client.tokenEndpointAuthMethod !== 'PRIVATE_KEY_JWT';
}

export function checkGrantTypes(
  issues: IssueList,
  field: string[],
  grantTypes: GrantType[],
  appType: AppType,
  isFirstParty: boolean,
): void {
  checkNoDuplicates(issues, field, grantTypes);
  grantTypes.forEach((grant, index) => {
    const at = [...field, String(index)];
    if (!ALLOWED_GRANT_TYPES[appType].includes(grant)) {
      issues.add('INVALID', at, `${grant} is not allowed for ${appType} clients (allowed: ${ALLOWED_GRANT_TYPES[appType].join(', ')})`);
    } else if (grant === 'IMPLICIT' && !isFirstParty) {
      issues.add('INVALID', at, 'IMPLICIT is never allowed for third-party clients');
    }
  });
}

export function checkAuthMethod(issues: IssueList, field: string[], method: TokenEndpointAuthMethod, appType: AppType): void {
  if (isPublicClient(appType) && method !== 'NONE') {
    issues.add('INVALID', field, `${appType} clients are public and must use NONE`);
  } else if (!isPublicClient(appType) && method === 'NONE') {
    issues.add('INVALID', field, `${appType} clients are confidential: use CLIENT_SECRET_BASIC, CLIENT_SECRET_POST or PRIVATE_KEY_JWT`);
  }
}

/**
 * URLs a browser is sent back to: `callbacks` (redirect URIs) and `allowedLogoutUrls` (post-logout
 * redirect URIs). Absolute, no fragment (RFC 6749 §3.1.2), https unless the host is loopback;
 * native apps may also use private-use schemes (RFC 8252 §7.1) such as `com.example.app:/cb`.
 */
export function checkRedirectUrls(issues: IssueList, field: string[], urls: string[], appType: AppType): void {
  if (!checkListSize(issues, field, urls, URLS_PER_LIST_MAX)) return;
  checkNoDuplicates(issues, field, urls);
  urls.forEach((raw, index) => {
    const problem = urlProblem(raw, appType === 'NATIVE');
    if (problem) issues.add('INVALID', [...field, String(index)], `"${truncate(raw)}" ${problem}`);
  });
}

/** Allowed origins (CORS, web message): `scheme://host[:port]` only, https unless loopback. */
export function checkOrigins(issues: IssueList, field: string[], origins: string[]): void {
  if (!checkListSize(issues, field, origins, URLS_PER_LIST_MAX)) return;
  checkNoDuplicates(issues, field, origins);
  origins.forEach((raw, index) => {
    const at = [...field, String(index)];
    const problem = urlProblem(raw, false);
    if (problem) {
      issues.add('INVALID', at, `"${truncate(raw)}" ${problem}`);
      return;
    }
    const url = new URL(raw);
    if (raw.replace(/\/$/, '') !== url.origin) {
      issues.add('INVALID', at, `"${truncate(raw)}" must be an origin (scheme://host[:port]) without path, query or credentials`);
    }
  });
}

function urlProblem(raw: string, allowCustomScheme: boolean): string | null {
  const url = parseWebUrl(raw, URL_MAX);
  if (typeof url === 'string') return url;
  if (url.protocol === 'https:') return url.hostname ? null : 'must have a host';
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? null : 'must use https (http is allowed only for localhost and loopback addresses)';
  }
  if (allowCustomScheme && /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/i.test(url.protocol)) return null;
  if (allowCustomScheme) {
    return 'must use https, http on loopback, or a reverse-domain private scheme such as com.example.app:';
  }
  return 'must use https (http is allowed only for localhost and loopback addresses)';
}

/** Refresh-token rotation: ROTATING (each use returns a new token, reuse revokes the family) or NON_ROTATING. */
export const REFRESH_TOKEN_ROTATIONS = ['ROTATING', 'NON_ROTATING'] as const;
export type RefreshTokenRotation = (typeof REFRESH_TOKEN_ROTATIONS)[number];

/** A client's refresh-token settings (seconds). */
export interface RefreshTokenSettings {
  rotation: RefreshTokenRotation;
  leeway: number;
  absoluteLifetime: number;
  idleLifetime: number;
}

/** Longest leeway: an hour. A rotated-out token keeps working that long (retries, concurrent tabs). */
export const REFRESH_TOKEN_LEEWAY_MAX = 3600;
/** Lifetimes: a minute to a year. */
export const REFRESH_TOKEN_LIFETIME_MIN = 60;
export const REFRESH_TOKEN_LIFETIME_MAX = 31_536_000;

export function isValidRefreshTokenLifetime(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds >= REFRESH_TOKEN_LIFETIME_MIN && seconds <= REFRESH_TOKEN_LIFETIME_MAX;
}

export const DEFAULT_REFRESH_TOKEN_SETTINGS: RefreshTokenSettings = {
  rotation: 'ROTATING',
  leeway: 0,
  absoluteLifetime: 2_592_000,
  idleLifetime: 1_296_000,
};

/** Public clients (SPA, native) cannot keep a token safe for long: their refresh tokens always rotate. */
export function effectiveRotation(client: { appType: AppType; refreshTokenRotation: RefreshTokenRotation }): RefreshTokenRotation {
  return isPublicClient(client.appType) ? 'ROTATING' : client.refreshTokenRotation;
}

/** The settings as stored on a client, with the rotation public clients always get. */
export function refreshTokenSettingsOf(client: {
  appType: AppType;
  refreshTokenRotation: RefreshTokenRotation;
  refreshTokenLeeway: number;
  refreshTokenAbsoluteLifetime: number;
  refreshTokenIdleLifetime: number;
}): RefreshTokenSettings {
  return {
    rotation: effectiveRotation(client),
    leeway: client.refreshTokenLeeway,
    absoluteLifetime: client.refreshTokenAbsoluteLifetime,
    idleLifetime: client.refreshTokenIdleLifetime,
  };
}

/**
 * rotation: NON_ROTATING only for confidential clients; leeway 0–3600 s; absoluteLifetime 60 s to
 * one year; idleLifetime 60 s to absoluteLifetime.
 */
export function checkRefreshTokenSettings(issues: IssueList, field: string[], settings: RefreshTokenSettings, appType: AppType): void {
  const at = (name: string) => [...field, name];
  if (!(REFRESH_TOKEN_ROTATIONS as readonly string[]).includes(settings.rotation)) {
    issues.add('INVALID', at('rotation'), `must be one of ${REFRESH_TOKEN_ROTATIONS.join(', ')}`);
  } else if (settings.rotation === 'NON_ROTATING' && isPublicClient(appType)) {
    issues.add('INVALID', at('rotation'), `${appType} clients are public: their refresh tokens always rotate`);
  }
  checkSeconds(issues, at('leeway'), settings.leeway, 0, REFRESH_TOKEN_LEEWAY_MAX);
  checkSeconds(issues, at('absoluteLifetime'), settings.absoluteLifetime, REFRESH_TOKEN_LIFETIME_MIN, REFRESH_TOKEN_LIFETIME_MAX);
  // Against the absolute lifetime when that one is valid (else it alone is reported).
  const idleMax = isValidRefreshTokenLifetime(settings.absoluteLifetime) ? settings.absoluteLifetime : REFRESH_TOKEN_LIFETIME_MAX;
  checkSeconds(issues, at('idleLifetime'), settings.idleLifetime, REFRESH_TOKEN_LIFETIME_MIN, idleMax, ' (at most absoluteLifetime)');
}

/**
 * ID tokens are signed with the service's key of the client's algorithm, one of ASYMMETRIC_ALGORITHMS
 * (the client verifies them with the JWKS, never with a shared secret).
 */
export const DEFAULT_ID_TOKEN_SIGNING_ALGORITHM: AsymmetricAlgorithm = 'RS256';

/** ID-token lifetime (seconds): a minute to 30 days, default 10 hours. */
export const ID_TOKEN_LIFETIME_MIN = 60;
export const ID_TOKEN_LIFETIME_MAX = 2_592_000;
export const DEFAULT_ID_TOKEN_LIFETIME = 36_000;

export function checkIdTokenLifetime(issues: IssueList, field: string[], seconds: number): void {
  checkSeconds(issues, field, seconds, ID_TOKEN_LIFETIME_MIN, ID_TOKEN_LIFETIME_MAX);
}
