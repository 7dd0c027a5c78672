/**
 * Bearer tokens in the Authorization header (RFC 6750 §2.1): `Bearer <b64token>`, the scheme
 * case-insensitive (RFC 9110 §11.1). One parse for the userinfo endpoint and the Management API.
 */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of an Authorization header: undefined without a header, null when it is not a Bearer token. */
export function bearerToken(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header.trim())?.[1] ?? null;
}

/** A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3); quotes and backslashes kept out of the values. */
export function bearerChallenge(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}="${value!.replace(/["\\]/g, '')}"`);
  return parts.length > 0 ? `Bearer ${parts.join(', ')}` : 'Bearer';
}
