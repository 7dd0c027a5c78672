import type { JWTPayload } from 'jose';
import type { PresentedToken } from '../bearer';
import { InvalidTokenError } from '../token-verifier';
import { DpopError, dpopHeader, type AcceptedProof, type DpopProofVerifier } from './proof';

/** The key thumbprint a token is bound to (`cnf.jkt`), if it is. */
export function boundKeyOf(payload: JWTPayload): string | undefined {
  const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}

/**
 * Where this service is the resource server (the Management API, /userinfo), a valid access token
 * is accepted only as it was issued (RFC 9449 §7.1): a DPoP-bound one with `Authorization: DPoP` and
 * a proof by its key for this request (`htm`, `htu`, `ath`), never as Bearer; an unbound one as
 * Bearer only. Returns the accepted proof (its `nonce`, when set, goes back in `DPoP-Nonce`).
 */
export async function checkSenderConstraint(
  verifier: DpopProofVerifier,
  presented: PresentedToken,
  payload: JWTPayload,
  request: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
): Promise<AcceptedProof | undefined> {
  const jkt = boundKeyOf(payload);
  if (jkt === undefined) {
    if (presented.scheme === 'DPoP') throw new InvalidTokenError('A token that is not DPoP-bound was sent with the DPoP scheme');
    return undefined;
  }
  if (presented.scheme !== 'DPoP') throw new InvalidTokenError('A DPoP-bound token was sent as a Bearer token');
  const header = dpopHeader(request.headers);
  if (header === undefined) throw new DpopError('invalid_dpop_proof', 'A DPoP proof is required with a DPoP-bound token');
  const proof = await verifier.verify(header, { method: request.method, url: request.url, accessToken: presented.token });
  if (proof.jkt !== jkt) throw new DpopError('invalid_dpop_proof', 'The DPoP proof is not signed by the key the token is bound to');
  return proof;
}
