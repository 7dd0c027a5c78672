/**
 * CORS mechanics shared by every policy (the OAuth endpoints' per-client origins, the management
 * API's CORS_ORIGINS, the public metadata's `*`). Origins match exactly: scheme, host and port as
 * the browser sends them in `Origin`; nothing is normalised beyond the one trailing slash that
 * allowed-origin validation accepts (client.rules.ts checkOrigins).
 */

/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE = 600;

/** An allowed-origin entry as stored, in the form a browser's `Origin` header takes. */
export function originOfEntry(entry: string): string {
  return entry.endsWith('/') ? entry.slice(0, -1) : entry;
}

/** True when `origin` (an `Origin` header) is one of `entries`, compared exactly. */
export function originAllowed(entries: readonly string[], origin: string): boolean {
  return entries.some((entry) => originOfEntry(entry) === origin);
}

/**
 * True when `origin` names the host the request was sent to (`Host`): a same-origin request, e.g.
 * the service's own explorer page. Browsers send `Origin` on same-origin POSTs too, but apply no
 * CORS to them: the page reads the answer whatever the headers say, so there is nothing to check.
 */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** True for a CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(method: string, headers: Record<string, string | string[] | undefined>): boolean {
  return method === 'OPTIONS' && typeof headers.origin === 'string' && headers['access-control-request-method'] !== undefined;
}

/**
 * Response headers a page may read beyond the CORS-safelisted ones: when to retry, the rate-limit
 * budget, the DPoP nonce to use (RFC 9449 §8) and the challenge saying so.
 */
const EXPOSED_HEADERS =
  'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, DPoP-Nonce, WWW-Authenticate';

/** The headers of a response readable by `origin` (`*`: any origin, no Vary needed). */
export function allowOriginHeaders(origin: string): Record<string, string> {
  const exposed = { 'Access-Control-Expose-Headers': EXPOSED_HEADERS };
  return origin === '*'
    ? { 'Access-Control-Allow-Origin': '*', ...exposed }
    : { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...exposed };
}

/** The headers of a preflight answer allowing `origin` the given methods and request headers. */
export function preflightHeaders(origin: string, methods: readonly string[], requestHeaders: readonly string[]): Record<string, string> {
  return {
    ...allowOriginHeaders(origin),
    'Access-Control-Allow-Methods': methods.join(', '),
    ...(requestHeaders.length > 0 ? { 'Access-Control-Allow-Headers': requestHeaders.join(', ') } : {}),
    'Access-Control-Max-Age': String(CORS_MAX_AGE),
  };
}
