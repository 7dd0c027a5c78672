import { decodeJwt, decodeProtectedHeader, JWTPayload } from 'jose';
import { ACCESS_TOKEN_MAX_LENGTH, AccessTokenVerifier, InvalidTokenError } from './token-verifier';
import { API_IDENTIFIER_MAX } from '../lib/api-identifier';
import { hasControlCharacter } from '../lib/control-characters';
import { tokenTyp } from './tokens/dialect';
import type { CachedApi, Registry } from './registry';
import type { RevocationCheck } from '../domain/revocation/revocation-check';
import { exchangedFromOf } from './tokens/delegation';
import { userIdOfSubject } from '../domain/user/subject';
import type { UserEntity } from '../domain/user/user.entity';

export interface ValidToken {
  payload: JWTPayload & { jti: string; iat: number; exp: number };
  api: CachedApi;
  /** The OAuth client the token was issued to (`client_id`, or `azp` in Auth0's dialect). */
  clientId: string;
}

/**
 * The API of a token not verified yet, only to pick the API whose rules verify it: its audience,
 * or the first of its audiences (a user token carrying `openid` adds the userinfo endpoint's after its API's).
 */
function unverifiedAudience(token: string): string {
  try {
    const { aud } = decodeJwt(token);
    if (typeof aud === 'string') return aud;
    if (Array.isArray(aud) && aud.length >= 1 && aud.length <= 2 && typeof aud[0] === 'string') return aud[0];
  } catch {
    // falls through
  }
  throw new InvalidTokenError('The access token is invalid');
}

/**
 * What of a token not verified yet is looked up before its signature is checked: its API (the
 * audience) and its key (`kid`). A control character there names no API and no key (and
 * PostgreSQL cannot store U+0000): such a token is invalid, without a lookup.
 */
function refuseUnverifiedLookupKeys(token: string, audience: string): void {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    // No header to read: the verifier refuses the token.
  }
  if (hasControlCharacter(audience) || (typeof kid === 'string' && hasControlCharacter(kid))) {
    throw new InvalidTokenError('The access token is invalid');
  }
}

/**
 * Everything that makes an access token this service issued active: signature by a published
 * key in the API's one algorithm, `typ`, `iss`, `aud`, `exp`; a client that still exists; not
 * revoked (denylisted jti, or issued before a grant's watermark); for an exchanged token, the same
 * of every access token it was exchanged from (`exchanged_from`, tokens/delegation.ts), and its
 * user not blocked. Keys revoked or HS256 secrets expired are simply absent from the key ring, so
 * their tokens fail the signature step.
 */
export class TokenValidator {
  constructor(
    private readonly registry: Registry,
    private readonly verifier: AccessTokenVerifier,
    private readonly revocations: RevocationCheck,
    /** The user of an exchanged token, who must still be able to sign in. */
    private readonly users: { findById(id: string): Promise<UserEntity | null> },
  ) {}

  /** `audience`: the API the token must be for; default: whichever API it names. */
  async validate(token: string, options: { audience?: string } = {}): Promise<ValidToken> {
    if (token.length > ACCESS_TOKEN_MAX_LENGTH) throw new InvalidTokenError('The access token is too long');
    const audience = options.audience ?? unverifiedAudience(token);
    refuseUnverifiedLookupKeys(token, audience);
    const api = audience.length <= API_IDENTIFIER_MAX ? await this.registry.api(audience) : null;
    if (!api) throw new InvalidTokenError('The access token is for an unknown API');
    const payload = await this.verifier.verify(token, {
      audience,
      serverId: api.server.id,
      algorithm: api.server.signingAlgorithm,
      typ: tokenTyp(api.server.tokenDialect),
    });
    const clientId = payload.client_id ?? payload.azp;
    const exchangedFrom = exchangedFromOf(payload);
    if (typeof payload.jti !== 'string' || typeof clientId !== 'string' || typeof payload.iat !== 'number' || exchangedFrom === null) {
      throw new InvalidTokenError('The access token is invalid');
    }
    await this.assertNotRevoked({ jti: payload.jti, clientId, api, issuedAt: payload.iat });
    // An exchanged token (RFC 8693) is active only while every access token it was exchanged from is.
    for (const from of exchangedFrom) {
      const fromApi = from.aud.length <= API_IDENTIFIER_MAX ? await this.registry.api(from.aud) : null;
      if (!fromApi) throw new InvalidTokenError('The API of a token this one was exchanged from no longer exists');
      await this.assertNotRevoked({ jti: from.jti, clientId: from.client_id, api: fromApi, issuedAt: from.iat });
    }
    // Delegated on behalf of a user (`act`): only while the user may still sign in, the one way to end
    // a token exchanged from an ID token. A user's own tokens are not looked up (the hot path).
    const userId = payload.act !== undefined && typeof payload.sub === 'string' ? userIdOfSubject(payload.sub) : null;
    if (userId !== null) {
      const user = await this.users.findById(userId);
      if (!user || user.blocked) throw new InvalidTokenError('The user of this token can no longer sign in');
    }
    return { payload: payload as ValidToken['payload'], api, clientId };
  }

  /** Its client still exists and it is not revoked (denylisted jti, or issued before its client's watermark on the API). */
  private async assertNotRevoked(token: { jti: string; clientId: string; api: CachedApi; issuedAt: number }): Promise<void> {
    if (!(await this.registry.client(token.clientId))) throw new InvalidTokenError('The client of this token no longer exists');
    const revoked = await this.revocations.isRevoked({
      jti: token.jti,
      clientId: token.clientId,
      serverId: token.api.server.id,
      issuedAt: token.issuedAt,
    });
    if (revoked) throw new InvalidTokenError('The access token was revoked');
  }
}
