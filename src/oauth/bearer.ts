import { DPOP_SIGNING_ALGORITHMS } from './dpop/proof';

/**
 * Access tokens in the Authorization header: `Bearer <b64token>` (RFC 6750 §2.1) or `DPoP <b64token>`
 * (RFC 9449 §7.1), the scheme case-insensitive (RFC 9110 §11.1). One parse for the userinfo endpoint
 * and the Management API.
 */
const ACCESS_TOKEN = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i;

/** An access token as a request presents it: the scheme says whether a DPoP proof goes with it. */
export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

/** The token of an Authorization header: undefined without a header, null when it is neither a Bearer nor a DPoP token. */
export function presentedToken(header: string | undefined): PresentedToken | null | undefined {
  if (header === undefined) return undefined;
  const match = ACCESS_TOKEN.exec(header.trim());
  if (!match) return null;
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}

function challenge(scheme: string, params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}="${value!.replace(/["\\]/g, '')}"`);
  return parts.length > 0 ? `${scheme} ${parts.join(', ')}` : scheme;
}

/** A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3); quotes and backslashes kept out of the values. */
export function bearerChallenge(params: Record<string, string | undefined>): string {
  return challenge('Bearer', params);
}

/** A `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1), with the proof algorithms accepted. */
export function dpopChallenge(params: Record<string, string | undefined>): string {
  return challenge('DPoP', { ...params, algs: DPOP_SIGNING_ALGORITHMS.join(' ') });
}
