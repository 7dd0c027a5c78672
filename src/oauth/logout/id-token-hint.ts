import { compactVerify } from 'jose';
import { KeyRing } from '../../crypto/key-ring';
import { ASYMMETRIC_ALGORITHMS } from '../../crypto/key-pairs';

/** What a logout request learns from its `id_token_hint`. */
export interface IdTokenHint {
  /** The client the ID token was issued to (its `aud`). */
  clientId: string;
  sub: string;
  sid: string | undefined;
}

/** Longest hint read: far above any ID token this service issues. */
const HINT_MAX_LENGTH = 16_384;

/**
 * An `id_token_hint` (OpenID Connect RP-Initiated Logout §2): an ID token this service issued,
 * signed by a key of the ring in its own asymmetric algorithm, with our `iss` and one audience.
 * Its expiry does not matter (a logout usually comes after it); null for anything else.
 */
export async function readIdTokenHint(keyRing: KeyRing, issuer: string, hint: string): Promise<IdTokenHint | null> {
  if (hint.length > HINT_MAX_LENGTH) return null;
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(hint, async (header) => {
      const key = typeof header.kid === 'string' ? keyRing.verificationKey(header.kid) : undefined;
      if (!key || header.alg !== key.algorithm || !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(key.algorithm)) {
        throw new Error('unknown key');
      }
      return key.publicKey;
    });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (payload === null || typeof payload !== 'object' || payload.iss !== issuer || typeof payload.sub !== 'string') return null;
  const aud = Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : payload.aud;
  if (typeof aud !== 'string') return null;
  return { clientId: aud, sub: payload.sub, sid: typeof payload.sid === 'string' ? payload.sid : undefined };
}
