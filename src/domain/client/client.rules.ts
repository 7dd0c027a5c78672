import { IssueList } from '../errors';
import { checkListSize, checkNoDuplicates, isLoopbackHost, truncate } from '../validation';

export const APP_TYPES = ['NATIVE', 'SPA', 'REGULAR_WEB', 'MACHINE_TO_MACHINE'] as const;
export type AppType = (typeof APP_TYPES)[number];

export const GRANT_TYPES = ['AUTHORIZATION_CODE', 'IMPLICIT', 'REFRESH_TOKEN', 'CLIENT_CREDENTIALS'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const TOKEN_ENDPOINT_AUTH_METHODS = ['NONE', 'CLIENT_SECRET_BASIC', 'CLIENT_SECRET_POST'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

export const CLIENT_DESCRIPTION_MAX = 140;
export const URLS_PER_LIST_MAX = 100;
export const URL_MAX = 2000;

/** Native and single-page apps cannot keep a secret: they authenticate with `NONE`. */
export function isPublicClient(appType: AppType): boolean {
  return appType === 'NATIVE' || appType === 'SPA';
}

export const ALLOWED_GRANT_TYPES: Record<AppType, readonly GrantType[]> = {
  NATIVE: ['AUTHORIZATION_CODE', 'IMPLICIT', 'REFRESH_TOKEN'],
  SPA: ['AUTHORIZATION_CODE', 'IMPLICIT', 'REFRESH_TOKEN'],
  REGULAR_WEB: ['AUTHORIZATION_CODE', 'IMPLICIT', 'REFRESH_TOKEN', 'CLIENT_CREDENTIALS'],
  MACHINE_TO_MACHINE: ['CLIENT_CREDENTIALS'],
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

export function checkAuthMethod(
  issues: IssueList,
  field: string[],
  method: TokenEndpointAuthMethod,
  appType: AppType,
): void {
  if (isPublicClient(appType) && method !== 'NONE') {
    issues.add('INVALID', field, `${appType} clients are public and must use NONE`);
  } else if (!isPublicClient(appType) && method === 'NONE') {
    issues.add('INVALID', field, `${appType} clients are confidential: use CLIENT_SECRET_BASIC or CLIENT_SECRET_POST`);
  }
}

/**
 * Redirect URIs: absolute, no fragment (RFC 6749 §3.1.2), https unless the host is loopback;
 * native apps may also use private-use schemes (RFC 8252 §7.1) such as `com.example.app:/cb`.
 */
export function checkCallbacks(issues: IssueList, field: string[], urls: string[], appType: AppType): void {
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
  if (raw.length === 0 || raw.length > URL_MAX) return `must be 1 to ${URL_MAX} characters`;
  if (/\s/.test(raw)) return 'must not contain whitespace';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL';
  }
  if (raw.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
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
