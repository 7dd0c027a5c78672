import type { DataSource } from 'typeorm';
import type { Clock } from '../../lib/clock';

/** The longest `jti` of a one-time JWT (the column's width): a longer one is refused before any lookup. */
export const JTI_MAX = 255;

/** The replay-store issuer of a client's assertions (RFC 7523 §3, item 7). */
export const clientAssertionIssuer = (clientUuid: string) => `client:${clientUuid}`;

/** The replay-store issuer of the DPoP proofs signed by one key (RFC 9449 §11.1), by its RFC 7638 thumbprint. */
export const dpopProofIssuer = (jkt: string) => `dpop:${jkt}`;

/**
 * The replay store of one-time JWTs (client assertions, DPoP proofs): each `jti` is single-use per
 * issuer until the JWT could no longer be accepted anyway. In the database, so every instance sees
 * every claim; expired rows are purged by housekeeping (and may be claimed again before that: the
 * JWT is refused for its age by then).
 */
export class UsedJtiService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Remembers the issuer's `jti` until `expiresAt`; false when it is remembered already (a
   * replay). One atomic upsert: of concurrent claims of one jti, exactly one wins.
   */
  async claim(issuer: string, jti: string, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO used_jtis AS a (issuer, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE a.expires_at <= $4
       RETURNING 1`,
      [issuer, jti, expiresAt, this.clock.now()],
    );
    return rows.length > 0;
  }
}
