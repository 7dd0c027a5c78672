import type { DataSource } from 'typeorm';
import type { Clock } from '../../lib/clock';
import { LoginFailureEntity } from '../authorization/authorization.entities';

/** Failures count within this window from the first one; an older window starts over. */
export const FAILURE_WINDOW_SECONDS = 15 * 60;
/** How long a key stays locked once it reached its limit. */
export const LOCK_SECONDS = 15 * 60;

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

/**
 * Failed sign-in counts per key (e.g. an account or a client address), in the login_failures table
 * so every instance sees the same counts. A key that reaches its limit within the window is locked
 * for LOCK_SECONDS. Which keys an attempt counts against, and their limits, is the caller's policy.
 * Windows and locks read the injected clock; the count itself is one atomic upsert.
 */
export class LoginThrottleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** True when any of the keys is locked now. */
  async isLocked(keys: string[]): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM login_failures WHERE key = ANY($1::text[]) AND locked_until > $2 LIMIT 1`,
      [keys, this.clock.now()],
    );
    return rows.length > 0;
  }

  /** Counts a failure against the key (a new window once the last one is over); locks it at the limit. */
  async recordFailure(key: string, limit: number): Promise<void> {
    const now = this.clock.now();
    // $3 now, $4 the end of a lock starting now, $5 the start of a window still open now.
    await this.dataSource.query(
      `INSERT INTO login_failures AS f (key, failures, window_started_at, locked_until)
       VALUES ($1, 1, $3::timestamptz, CASE WHEN 1 >= $2::int THEN $4::timestamptz END)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN f.window_started_at <= $5::timestamptz THEN 1 ELSE f.failures + 1 END,
         window_started_at = CASE WHEN f.window_started_at <= $5::timestamptz THEN $3::timestamptz ELSE f.window_started_at END,
         locked_until = CASE
           WHEN (CASE WHEN f.window_started_at <= $5::timestamptz THEN 1 ELSE f.failures + 1 END) >= $2::int
             THEN $4::timestamptz
           ELSE f.locked_until END`,
      [key, limit, now, addSeconds(now, LOCK_SECONDS), addSeconds(now, -FAILURE_WINDOW_SECONDS)],
    );
  }

  /** Forgets the key's failures (a successful sign-in). */
  async clear(key: string): Promise<void> {
    await this.dataSource.manager.delete(LoginFailureEntity, { key });
  }
}
