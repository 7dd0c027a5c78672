import type { DataSource } from 'typeorm';
import { normalizeEmail } from '../../domain/user/user.rules';

/**
 * Failed sign-in throttling, per account (`account:<lower-case email>`) and per client address
 * (`ip:<address>`), in the login_failures table so every instance sees the same counts. A key
 * that reaches its limit within the window is locked for LOCK_SECONDS; while either key of an
 * attempt is locked, the attempt is refused before the password is checked, with the same answer
 * whether or not the account exists.
 */
export const ACCOUNT_FAILURE_LIMIT = 5;
export const IP_FAILURE_LIMIT = 20;
export const FAILURE_WINDOW_SECONDS = 15 * 60;
export const LOCK_SECONDS = 15 * 60;

export const accountKey = (email: string) => `account:${normalizeEmail(email)}`.slice(0, 400);
export const ipKey = (ip: string) => `ip:${ip}`.slice(0, 400);

export class LoginThrottle {
  constructor(private readonly dataSource: DataSource) {}

  /** True when any of the keys is locked now. */
  async isLocked(keys: string[]): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM login_failures WHERE key = ANY($1) AND locked_until > now() LIMIT 1`,
      [keys],
    );
    return rows.length > 0;
  }

  /** Counts a failure against the key (a new window once the last one is over); locks it at the limit. */
  async recordFailure(key: string, limit: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO login_failures AS f (key, failures, window_started_at, locked_until)
       VALUES ($1, 1, now(), CASE WHEN 1 >= $2 THEN now() + make_interval(secs => $4) END)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN f.window_started_at <= now() - make_interval(secs => $3) THEN 1 ELSE f.failures + 1 END,
         window_started_at = CASE WHEN f.window_started_at <= now() - make_interval(secs => $3) THEN now() ELSE f.window_started_at END,
         locked_until = CASE
           WHEN (CASE WHEN f.window_started_at <= now() - make_interval(secs => $3) THEN 1 ELSE f.failures + 1 END) >= $2
             THEN now() + make_interval(secs => $4)
           ELSE f.locked_until END`,
      [key, limit, FAILURE_WINDOW_SECONDS, LOCK_SECONDS],
    );
  }

  async clear(key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM login_failures WHERE key = $1`, [key]);
  }
}
