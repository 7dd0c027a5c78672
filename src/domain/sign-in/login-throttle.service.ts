import type { DataSource } from 'typeorm';
import type { Clock } from '../../lib/clock';

/** Attempts count within this window from the first one; once it is over, and any delay ended this long ago, the count starts over. */
export const FAILURE_WINDOW_SECONDS = 15 * 60;
/** The delay after a key's limit is reached: it doubles with every further attempt, up to MAX_DELAY_SECONDS. */
export const FIRST_DELAY_SECONDS = 1;
export const MAX_DELAY_SECONDS = 15 * 60;

/** A key an attempt counts against (e.g. an account at a client address), with its limit. */
export interface ThrottleKey {
  key: string;
  /** Attempts allowed without delay within the window; from then on each attempt waits. */
  limit: number;
}

export type Reservation =
  | { allowed: true }
  /** A key is delayed: no attempt until `retryAfterSeconds` (whole seconds, at least 1) have passed. */
  | { allowed: false; retryAfterSeconds: number };

/** The delay before the attempt that follows the `attempts`-th one of a window (0: none). */
export function delayAfter(attempts: number, limit: number): number {
  if (attempts < limit) return 0;
  return Math.min(FIRST_DELAY_SECONDS * 2 ** Math.min(attempts - limit, 30), MAX_DELAY_SECONDS);
}

interface Row {
  key: string;
  failures: number;
  window_started_at: Date;
  locked_until: Date | null;
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

/**
 * Sign-in attempts per key, in the login_failures table so every instance sees the same counts.
 * An attempt is reserved before the password is checked: the reservation counts it against every
 * key at once, or refuses it while any key is delayed. So however many requests arrive together,
 * at most `limit` of them per key get to check a password before the delays start. Past its limit,
 * a key refuses attempts until its delay has passed (FIRST_DELAY_SECONDS, doubling with every
 * further attempt, up to MAX_DELAY_SECONDS); a refused attempt changes nothing. The caller gives an
 * attempt back (`refund`) when no password was checked, and forgets a key (`clear`) on success.
 * Windows and delays read the injected clock.
 */
export class LoginThrottleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Counts one attempt against every key, or none when a key is delayed now. */
  async reserve(keys: ThrottleKey[]): Promise<Reservation> {
    const sorted = [...new Map(keys.map((k) => [k.key, k])).values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const now = this.clock.now();
    return this.dataSource.transaction(async (em) => {
      // Every key's row, created if missing and locked (the no-op update) until the transaction
      // ends: concurrent reservations of a key queue here, each seeing the count the previous one
      // wrote. Keys are locked in sorted order, so two reservations never wait on each other.
      const rows: Row[] = await em.query(
        `INSERT INTO login_failures AS f (key, failures, window_started_at)
         SELECT k, 0, $2::timestamptz FROM unnest($1::text[]) AS k ORDER BY k
         ON CONFLICT (key) DO UPDATE SET key = f.key
         RETURNING f.key, f.failures, f.window_started_at, f.locked_until`,
        [sorted.map((k) => k.key), now],
      );
      const byKey = new Map(rows.map((row) => [row.key, row]));
      const waitMs = Math.max(0, ...rows.map((row) => (row.locked_until ? row.locked_until.getTime() - now.getTime() : 0)));
      if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };

      const next = sorted.map(({ key, limit }) => {
        const row = byKey.get(key)!;
        const fresh = this.windowOver(row, now);
        const failures = (fresh ? 0 : row.failures) + 1;
        const delay = delayAfter(failures, limit);
        return {
          key,
          failures,
          windowStartedAt: fresh ? now : row.window_started_at,
          lockedUntil: delay > 0 ? addSeconds(now, delay) : fresh ? null : row.locked_until,
        };
      });
      await em.query(
        `UPDATE login_failures AS f SET failures = n.failures, window_started_at = n.window_started_at, locked_until = n.locked_until
           FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::timestamptz[]) AS n(key, failures, window_started_at, locked_until)
          WHERE f.key = n.key`,
        [next.map((n) => n.key), next.map((n) => n.failures), next.map((n) => n.windowStartedAt), next.map((n) => n.lockedUntil)],
      );
      return { allowed: true };
    });
  }

  /** Gives a reserved attempt back (no password was checked): one fewer per key, and no delay once under its limit again. */
  async refund(keys: ThrottleKey[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE login_failures AS f SET
         failures = GREATEST(f.failures - 1, 0),
         locked_until = CASE WHEN f.failures - 1 < k.attempt_limit THEN NULL ELSE f.locked_until END
         FROM unnest($1::text[], $2::int[]) AS k(key, attempt_limit) WHERE f.key = k.key`,
      [keys.map((k) => k.key), keys.map((k) => k.limit)],
    );
  }

  /** Forgets the keys' attempts and delays (a successful sign-in). */
  async clear(keys: ThrottleKey[]): Promise<void> {
    await this.dataSource.query(`DELETE FROM login_failures WHERE key = ANY($1::text[])`, [keys.map((k) => k.key)]);
  }

  /** Whether the row's count starts over: its window is over, and so is any delay, for FAILURE_WINDOW_SECONDS. */
  private windowOver(row: Row, now: Date): boolean {
    const windowStart = addSeconds(now, -FAILURE_WINDOW_SECONDS);
    return row.window_started_at <= windowStart && (row.locked_until === null || row.locked_until <= windowStart);
  }
}
