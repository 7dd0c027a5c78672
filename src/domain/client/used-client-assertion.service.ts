import type { DataSource } from 'typeorm';
import type { Clock } from '../../lib/clock';

/** The longest `jti` of a client assertion (the column's width): a longer one is refused before any lookup. */
export const CLIENT_ASSERTION_JTI_MAX = 255;

/**
 * The replay store of client assertions (RFC 7523 §3, item 7): each `jti` is single-use per client
 * until the assertion expires. In the database, so every instance sees every claim; expired rows
 * are purged by housekeeping (and may be claimed again before that: the assertion is refused for
 * its `exp` by then).
 */
export class UsedClientAssertionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Remembers the client's (uuid) `jti` until `expiresAt`; false when it is remembered already (a
   * replay). One atomic upsert: of concurrent claims of one jti, exactly one wins.
   */
  async claim(clientUuid: string, jti: string, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO used_client_assertions AS a (client_id, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE a.expires_at <= $4
       RETURNING 1`,
      [clientUuid, jti, expiresAt, this.clock.now()],
    );
    return rows.length > 0;
  }
}
