import type { DataSource } from 'typeorm';
import { randomToken, sha256Hex } from '../../crypto/random';
import { AuthorizationCodeEntity } from './authorization.entities';

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

export interface AuthorizationCodeInput {
  /** The client's uuid (clients.id), not its OAuth client_id. */
  clientUuid: string;
  userId: string;
  resourceServerId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
}

export type ConsumeResult =
  | { status: 'ok'; code: AuthorizationCodeEntity }
  | { status: 'reused'; code: AuthorizationCodeEntity }
  | { status: 'invalid' };

/**
 * Authorization codes: 256 random bits, stored only as SHA-256 digests, valid 60 seconds, single
 * use. Presenting a used code again revokes (denylists) the access token its first use issued.
 */
export class AuthorizationCodeService {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores a new code and returns it (the only time it exists in clear). */
  async issue(input: AuthorizationCodeInput): Promise<string> {
    const code = randomToken(32);
    await this.dataSource.query(
      `INSERT INTO authorization_codes
         (code_hash, client_id, user_id, resource_server_id, redirect_uri, scopes, code_challenge, code_challenge_method, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))`,
      [
        sha256Hex(code),
        input.clientUuid,
        input.userId,
        input.resourceServerId,
        input.redirectUri,
        input.scopes,
        input.codeChallenge,
        input.codeChallengeMethod,
        CODE_LIFETIME_SECONDS,
      ],
    );
    return code;
  }

  /**
   * Marks the code used, atomically: of concurrent exchanges exactly one gets 'ok'. A code already
   * used is 'reused' (and the token its first use issued is denylisted in the same call); an
   * unknown or expired one is 'invalid'.
   */
  async consume(code: string): Promise<ConsumeResult> {
    if (code.length === 0 || code.length > CODE_MAX_LENGTH) return { status: 'invalid' };
    const codeHash = sha256Hex(code);
    // A CTE so that the driver hands back the rows whatever the statement's command tag.
    const consumed: Record<string, unknown>[] = await this.dataSource.query(
      `WITH consumed AS (
         UPDATE authorization_codes SET consumed_at = now()
          WHERE code_hash = $1 AND consumed_at IS NULL AND expires_at > now()
          RETURNING *
       )
       SELECT * FROM consumed`,
      [codeHash],
    );
    if (consumed.length > 0) return { status: 'ok', code: toEntity(consumed[0]) };

    // Not consumable: reused (revoke what the first use issued) or unknown/expired.
    const deadline = Date.now() + REUSE_WAIT_MS;
    for (;;) {
      const [reused]: Record<string, unknown>[] = await this.dataSource.query(
        `WITH reused AS (
           SELECT * FROM authorization_codes WHERE code_hash = $1 AND consumed_at IS NOT NULL
         ), denylisted AS (
           INSERT INTO revoked_tokens (jti, resource_server_id, expires_at)
           SELECT issued_jti, resource_server_id, issued_expires_at FROM reused
            WHERE issued_jti IS NOT NULL AND issued_expires_at > now()
           ON CONFLICT DO NOTHING
         )
         SELECT *, consumed_at > now() - make_interval(secs => $2) AS in_flight FROM reused`,
        [codeHash, IN_FLIGHT_SECONDS],
      );
      if (!reused) return { status: 'invalid' };
      const settled = reused.issued_jti !== null || reused.issued_expires_at !== null;
      if (settled || reused.in_flight !== true || Date.now() >= deadline) {
        return { status: 'reused', code: toEntity(reused) };
      }
      await sleep(REUSE_POLL_MS);
    }
  }

  /**
   * Records that a consumed code's exchange was refused (no token issued), so that a reuse of the
   * code does not wait for one.
   */
  async recordRefused(codeHash: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE authorization_codes SET issued_expires_at = consumed_at WHERE code_hash = $1 AND issued_jti IS NULL`,
      [codeHash],
    );
  }

  /** Records the access token a code's exchange issued, so that a reuse of the code revokes it. */
  async recordIssued(codeHash: string, jti: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(`UPDATE authorization_codes SET issued_jti = $2, issued_expires_at = $3 WHERE code_hash = $1`, [
      codeHash,
      jti,
      expiresAt,
    ]);
  }
}

function toEntity(row: Record<string, unknown>): AuthorizationCodeEntity {
  const entity = new AuthorizationCodeEntity();
  entity.codeHash = row.code_hash as string;
  entity.clientUuid = row.client_id as string;
  entity.userId = row.user_id as string;
  entity.resourceServerId = row.resource_server_id as string;
  entity.redirectUri = row.redirect_uri as string;
  entity.scopes = row.scopes as string[];
  entity.codeChallenge = (row.code_challenge as string | null) ?? null;
  entity.codeChallengeMethod = (row.code_challenge_method as string | null) ?? null;
  entity.createdAt = row.created_at as Date;
  entity.expiresAt = row.expires_at as Date;
  entity.consumedAt = (row.consumed_at as Date | null) ?? null;
  entity.issuedJti = (row.issued_jti as string | null) ?? null;
  entity.issuedExpiresAt = (row.issued_expires_at as Date | null) ?? null;
  return entity;
}
