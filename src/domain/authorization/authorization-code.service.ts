import { DataSource, IsNull, MoreThan } from 'typeorm';
import { randomToken, sha256Hex } from '../../crypto/random';
import { hydrate } from '../../db/hydrate';
import type { Clock } from '../../lib/clock';
import { AuthorizationCodeEntity } from './authorization.entities';
import type { Authentication } from '../sign-in/authentication';

/** How long an authorization code can be exchanged (RFC 9700 §4.2: short-lived). */
export const CODE_LIFETIME_SECONDS = 60;

/** Longer codes are refused before any query (ours are 43 characters). */
const CODE_MAX_LENGTH = 200;

/**
 * A used code presented again while its first exchange is still in flight (consumed, neither its
 * token nor a refusal recorded yet) waits up to this long for the token, so that it can revoke it: a concurrent replay
 * revokes like a later one. Only codes consumed in the last IN_FLIGHT_SECONDS wait.
 */
const REUSE_WAIT_MS = 2000;
const REUSE_POLL_MS = 25;
const IN_FLIGHT_SECONDS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

export interface AuthorizationCodeInput {
  /** The client's uuid (clients.id), not its OAuth client_id. */
  clientUuid: string;
  userId: string;
  resourceServerId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  /** OpenID Connect: the request's nonce, and the sign-in that granted the code. */
  nonce?: string | null;
  authentication?: Authentication | null;
  /** RFC 9449 §10: the DPoP key (thumbprint) the exchange must prove possession of. */
  dpopJkt?: string | null;
}

export type ConsumeResult =
  { status: 'ok'; code: AuthorizationCodeEntity } | { status: 'reused'; code: AuthorizationCodeEntity } | { status: 'invalid' };

/**
 * Authorization codes: 256 random bits, stored only as SHA-256 digests, valid 60 seconds, single
 * use. Presenting a used code again revokes (denylists) the access token its first use issued.
 * Issue and expiry read the injected clock (passed to SQL, never now()).
 */
export class AuthorizationCodeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Stores a new code and returns it (the only time it exists in clear). */
  async issue(input: AuthorizationCodeInput): Promise<string> {
    const code = randomToken(32);
    const now = this.clock.now();
    await this.dataSource.manager.insert(AuthorizationCodeEntity, {
      codeHash: sha256Hex(code),
      clientUuid: input.clientUuid,
      userId: input.userId,
      resourceServerId: input.resourceServerId,
      redirectUri: input.redirectUri,
      scopes: input.scopes,
      codeChallenge: input.codeChallenge,
      codeChallengeMethod: input.codeChallengeMethod,
      nonce: input.nonce ?? null,
      dpopJkt: input.dpopJkt ?? null,
      sid: input.authentication?.sid ?? null,
      authTime: input.authentication?.authTime ?? null,
      createdAt: now,
      expiresAt: addSeconds(now, CODE_LIFETIME_SECONDS),
    });
    return code;
  }

  /**
   * Marks the code used, atomically: of concurrent exchanges exactly one gets 'ok' (one UPDATE,
   * whose row lock decides). A code already used is 'reused' (and the token its first use issued
   * is denylisted in the same call); an unknown or expired one is 'invalid'.
   */
  async consume(code: string): Promise<ConsumeResult> {
    if (code.length === 0 || code.length > CODE_MAX_LENGTH) return { status: 'invalid' };
    const codeHash = sha256Hex(code);
    const now = this.clock.now();
    const consumed = await this.dataSource
      .createQueryBuilder()
      .update(AuthorizationCodeEntity)
      .set({ consumedAt: now })
      .where({ codeHash, consumedAt: IsNull(), expiresAt: MoreThan(now) })
      .returning('*')
      .execute();
    const rows = consumed.raw as Record<string, unknown>[];
    if (rows.length > 0) return { status: 'ok', code: hydrate(this.dataSource, AuthorizationCodeEntity, rows[0]) };

    // Not consumable: reused (revoke what the first use issued) or unknown/expired.
    // The wait for an exchange in flight is real time (another request's progress), not the clock's.
    const deadline = Date.now() + REUSE_WAIT_MS;
    for (;;) {
      const at = this.clock.now();
      const [reused]: Record<string, unknown>[] = await this.dataSource.query(
        `WITH reused AS (
           SELECT * FROM authorization_codes WHERE code_hash = $1 AND consumed_at IS NOT NULL
         ), denylisted AS (
           INSERT INTO revoked_tokens (jti, resource_server_id, expires_at)
           SELECT issued_jti, resource_server_id, issued_expires_at FROM reused
            WHERE issued_jti IS NOT NULL AND issued_expires_at > $2
           ON CONFLICT DO NOTHING
         )
         SELECT *, consumed_at > $3 AS in_flight FROM reused`,
        [codeHash, at, addSeconds(at, -IN_FLIGHT_SECONDS)],
      );
      if (!reused) return { status: 'invalid' };
      const entity = hydrate(this.dataSource, AuthorizationCodeEntity, reused);
      const settled = entity.issuedJti !== null || entity.issuedExpiresAt !== null;
      if (settled || reused.in_flight !== true || Date.now() >= deadline) return { status: 'reused', code: entity };
      await sleep(REUSE_POLL_MS);
    }
  }

  /**
   * Records that a consumed code's exchange was refused (no token issued), so that a reuse of the
   * code does not wait for one.
   */
  async recordRefused(codeHash: string): Promise<void> {
    await this.dataSource.manager.update(
      AuthorizationCodeEntity,
      { codeHash, issuedJti: IsNull() },
      { issuedExpiresAt: () => 'consumed_at' },
    );
  }

  /** Records the access token a code's exchange issued, so that a reuse of the code revokes it. */
  async recordIssued(codeHash: string, jti: string, expiresAt: Date): Promise<void> {
    await this.dataSource.manager.update(AuthorizationCodeEntity, { codeHash }, { issuedJti: jti, issuedExpiresAt: expiresAt });
  }
}
