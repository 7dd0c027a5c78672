import type { DataSource } from 'typeorm';
import type { Clock } from '../../lib/clock';

/**
 * The implicit grant's nonces: each is remembered per client until the token it protected expires,
 * so that a response cannot be replayed. Expiry reads the injected clock; expired rows are purged
 * by housekeeping (and may be claimed again before that).
 */
export class UsedNonceService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Remembers the client's (uuid) nonce for `seconds`; false when it is remembered already (a
   * replay). One atomic upsert: of concurrent claims of one nonce, exactly one wins.
   */
  async claim(clientUuid: string, nonce: string, seconds: number): Promise<boolean> {
    const now = this.clock.now();
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO used_nonces AS n (client_id, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (client_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE n.expires_at <= $4
       RETURNING 1`,
      [clientUuid, nonce, new Date(now.getTime() + seconds * 1000), now],
    );
    return rows.length > 0;
  }
}
