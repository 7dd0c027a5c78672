/** Minimal cookie handling for /authorize (RFC 6265): parse the Cookie header, serialize Set-Cookie. */

/** The sign-in cookies' names: the session, and the CSRF token of the sign-in and consent forms. */
export interface SignInCookieNames {
  session: string;
  csrf: string;
}

/**
 * On an https issuer the names carry the `__Host-` prefix (RFC 6265bis §4.1.3.2): browsers accept
 * such a cookie only with `Secure`, `Path=/` and no `Domain`, so neither a sibling subdomain nor a
 * plain-http page can plant or overwrite one (session fixation, CSRF token injection). Browsers
 * refuse the prefix without `Secure`, so an http issuer (development) keeps the plain names.
 */
export function signInCookieNames(secure: boolean): SignInCookieNames {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}apiauth_session`, csrf: `${prefix}apiauth_csrf` };
}

/** The cookies of a request; on a repeated name the first wins (the most specific path, RFC 6265 §5.4). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header || header.length > 16_384) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    if (name === '') continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie; undefined: a browser-session cookie. */
  maxAge?: number;
  secure: boolean;
}

/**
 * An HttpOnly, SameSite=Lax cookie for the whole site (`Path=/`, no `Domain`: what a `__Host-` name
 * requires). Values are URL-safe tokens, written as they are.
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
