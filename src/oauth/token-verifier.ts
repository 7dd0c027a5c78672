import { errors, JWTPayload, jwtVerify } from 'jose';
import type { KeyRing } from '../crypto/key-ring';
import type { Clock } from '../lib/clock';

export interface VerifyOptions {
  audience: string;
  /** Database id of the API named by `audience`: an HS256 secret verifies only its own API's tokens (required for HS256). */
  serverId?: string;
  /** The one algorithm the API signs with (RFC 8725: never accept another, never `none`). */
  algorithm: string;
  typ: 'at+jwt' | 'JWT';
}

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** Longest access token accepted for verification: far above any this service issues, and refused before any parsing. */
export const ACCESS_TOKEN_MAX_LENGTH = 8192;

/** Seconds of clock difference forgiven when judging `exp`, `nbf` and `iat` (between instances, or a token just issued). */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Verifies access tokens this service issued, locally: signature by a published key of the ring
 * (kid → key, whose algorithm must be the expected one), `typ`, `iss`, `aud`, `exp`, and an `iat`
 * not in the future (jose checks that only with `maxTokenAge`): no instance issues a token dated
 * later than its clock, so such a token was made elsewhere, or by a clock gone wrong.
 */
export class AccessTokenVerifier {
  constructor(
    private readonly keyRing: KeyRing,
    private readonly issuer: string,
    /** `exp` and `iat` are judged at its time. */
    private readonly clock: Clock,
  ) {}

  async verify(token: string, options: VerifyOptions): Promise<JWTPayload> {
    if (token.length > ACCESS_TOKEN_MAX_LENGTH) throw new InvalidTokenError('The access token is too long');
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          if (header.alg !== options.algorithm || typeof header.kid !== 'string') {
            throw new InvalidTokenError('unexpected algorithm or missing kid');
          }
          if (options.algorithm === 'HS256') {
            const hs = await this.keyRing.hsVerificationKey(header.kid);
            if (!hs || hs.serverId !== options.serverId) throw new InvalidTokenError('unknown key');
            return hs.key;
          }
          const key = this.keyRing.verificationKey(header.kid);
          if (!key || key.algorithm !== options.algorithm) throw new InvalidTokenError('unknown key');
          return key.publicKey;
        },
        {
          issuer: this.issuer,
          audience: options.audience,
          algorithms: [options.algorithm],
          typ: options.typ,
          requiredClaims: ['exp', 'iat', 'sub'],
          currentDate: this.clock.now(),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        },
      );
      if (typeof payload.iat !== 'number' || payload.iat > this.clock.now().getTime() / 1000 + CLOCK_TOLERANCE_SECONDS) {
        throw new InvalidTokenError('The access token is dated in the future');
      }
      return payload;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('The access token expired');
      if (error instanceof errors.JOSEError) throw new InvalidTokenError('The access token is invalid');
      throw error;
    }
  }
}
