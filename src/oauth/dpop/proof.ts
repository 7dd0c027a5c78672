import { createHash, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { dpopProofIssuer, JTI_MAX } from '../../domain/replay/used-jti.service';
import type { Clock } from '../../lib/clock';
import { OAuthError } from '../errors';
import type { ReplayStore } from '../replay-store';
import { CLOCK_TOLERANCE_SECONDS } from '../token-verifier';
import type { DpopNonces } from './nonce';

/**
 * The algorithms a DPoP proof may be signed with (discovery's dpop_signing_alg_values_supported):
 * asymmetric only, never `none` or HS*. Ed25519 is EdDSA's fully-specified name (RFC 9864), the one
 * oauth4webapi and openid-client sign with.
 */
export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;

/** Longest `DPoP` header accepted: a proof with an RSA-4096 key is about 2 KB. Refused before any parsing. */
export const DPOP_PROOF_MAX_LENGTH = 8192;

/** How far a proof's `iat` may be from now, in seconds, either way; its `jti` is remembered that long. */
export const DPOP_IAT_WINDOW_SECONDS = 60;

/** Longest `htu` considered. */
const HTU_MAX = 2048;

/** JWK members of private (or symmetric) keys: a proof carries its public key only. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A compact JWS: three base64url parts. A header sent twice arrives joined with ", " and fails this too. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * A refused DPoP proof (RFC 9449 §7.1, §8): `invalid_dpop_proof`, or `use_dpop_nonce` with the
 * nonce to retry with (`DPoP-Nonce`). 400 as the token endpoint answers it; a resource turns it into
 * a 401 `WWW-Authenticate: DPoP` challenge.
 */
export class DpopError extends OAuthError {
  constructor(
    error: 'invalid_dpop_proof' | 'use_dpop_nonce',
    description: string,
    /** The nonce the client must use (use_dpop_nonce). */
    readonly nonce?: string,
  ) {
    super(error, description, 400, nonce === undefined ? {} : { 'DPoP-Nonce': nonce });
  }
}

const invalidProof = (description: string) => new DpopError('invalid_dpop_proof', description);

/** What a proof is checked against: the request's method and URL (the issuer's, without query), and for a resource the access token. */
export interface ProofTarget {
  method: string;
  /** The endpoint's URL under the issuer (never built from the Host header). */
  url: string;
  /** The access token the request presents (`ath`); absent at the token endpoint. */
  accessToken?: string;
}

/** An accepted proof: the RFC 7638 thumbprint of its key, and a nonce to hand the client when its nonce was the previous one. */
export interface AcceptedProof {
  jkt: string;
  nonce?: string;
}

/** base64url(SHA-256(access token)): a proof's `ath`. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * The `DPoP` header of a request, unparsed: undefined when there is none (then DPoP costs nothing
 * more), an `invalid_dpop_proof` when it is not exactly one compact JWS of a sane size.
 */
export function dpopHeader(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers.dpop;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > DPOP_PROOF_MAX_LENGTH || !COMPACT_JWS.test(value)) {
    throw invalidProof('The request must carry exactly one DPoP header holding a compact JWS');
  }
  return value;
}

/**
 * Checks DPoP proofs (RFC 9449 §4.3): `typ` dpop+jwt, an allowed `alg`, a public `jwk` whose key
 * made the signature, `htm` and `htu` of this request, `iat` within DPOP_IAT_WINDOW_SECONDS, a
 * `jti` never seen for this key (claimed in the shared replay store, so on every instance), `ath`
 * of the access token at a resource, and with DPOP_NONCE_REQUIRED a current server nonce.
 */
export class DpopProofVerifier {
  constructor(
    private readonly deps: {
      clock: Clock;
      replay: ReplayStore;
      nonces: DpopNonces;
      nonceRequired: boolean;
    },
  ) {}

  async verify(proof: string, target: ProofTarget): Promise<AcceptedProof> {
    let header;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw invalidProof('The DPoP proof has no readable JOSE header');
    }
    if (header.typ !== 'dpop+jwt') throw invalidProof('The DPoP proof must have typ dpop+jwt');
    if (!(DPOP_SIGNING_ALGORITHMS as readonly unknown[]).includes(header.alg)) {
      throw invalidProof(`The DPoP proof's alg must be one of ${DPOP_SIGNING_ALGORITHMS.join(', ')}`);
    }
    const jwk = header.jwk;
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalidProof('The DPoP proof must carry its public key (jwk)');
    if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) throw invalidProof('The jwk of a DPoP proof must be a public key');

    const now = this.deps.clock.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [header.alg!],
        currentDate: now,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) throw invalidProof('The DPoP proof is not signed by its jwk');
      if (error instanceof errors.JOSEError) throw invalidProof(`The DPoP proof is invalid (${error.code})`);
      throw error;
    }
    if (payload.htm !== target.method) throw invalidProof('The DPoP proof is for another HTTP method (htm)');
    if (typeof payload.htu !== 'string' || withoutQuery(payload.htu) !== withoutQuery(target.url)) {
      throw invalidProof('The DPoP proof is for another URL (htu)');
    }
    const nowSeconds = now.getTime() / 1000;
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat - nowSeconds) > DPOP_IAT_WINDOW_SECONDS) {
      throw invalidProof(`The DPoP proof's iat must be within ${DPOP_IAT_WINDOW_SECONDS} seconds of the server's time`);
    }
    const { jti } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > JTI_MAX) throw invalidProof('The DPoP proof needs a jti');
    if (target.accessToken !== undefined && !sameText(payload.ath, accessTokenHash(target.accessToken))) {
      throw invalidProof('The DPoP proof does not name this access token (ath)');
    }
    let nonce: string | undefined;
    if (this.deps.nonceRequired) {
      const state = this.deps.nonces.check(payload.nonce);
      if (state === undefined) throw new DpopError('use_dpop_nonce', 'Use the server-provided DPoP nonce', this.deps.nonces.current());
      if (state === 'previous') nonce = this.deps.nonces.current();
    }
    const jkt = await calculateJwkThumbprint(jwk as JWK, 'sha256');
    // Remembered as long as the proof's iat is acceptable.
    const first = await this.deps.replay.claim(
      dpopProofIssuer(jkt),
      jti,
      new Date((payload.iat + DPOP_IAT_WINDOW_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000),
    );
    if (!first) throw invalidProof('The DPoP proof was already used');
    return { jkt, nonce };
  }
}

/** An HTTP(S) URL without query and fragment, normalised (RFC 9449 §4.3 item 9); '' for anything else. */
function withoutQuery(url: string): string {
  if (url.length > HTU_MAX) return '';
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return '';
  }
}

function sameText(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
