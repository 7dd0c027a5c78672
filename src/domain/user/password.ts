import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { WorkLimiter } from '../../lib/work-limiter';

/** OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Every Argon2 computation of the process (sign-in checks, new and replaced passwords), each in a
 * slot of one shared WorkLimiter: a flood of sign-ins or of password mutations cannot occupy every
 * CPU and thread-pool thread at once. When the limiter's queue is full, `hash` and `verify` reject
 * with WorkLimiterFull (lib/work-limiter.ts) without computing anything; callers answer "busy".
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly work: WorkLimiter) {}

  /** Hashes a password with Argon2id (a PHC string `$argon2id$v=19$m=19456,t=2,p=1$…`, with a random salt). */
  hash(password: string): Promise<string> {
    return this.work.run(() => hash(password, OPTIONS));
  }

  /**
   * Whether `password` matches the `stored` hash. With none (unknown user, or no password set) it still
   * verifies against a fixed dummy hash and answers false, so a miss costs what a wrong password
   * costs and response times do not tell which emails exist. A malformed stored hash is a mismatch.
   */
  verify(stored: string | null, password: string): Promise<boolean> {
    return this.work.run(async () => {
      if (stored === null) {
        // Computed in the slot of the first verification that needs it.
        this.dummyHash ??= hash('dummy password: the account has none', OPTIONS);
        try {
          await verify(await this.dummyHash, password);
        } catch {
          this.dummyHash = undefined; // computed again next time
        }
        return false;
      }
      try {
        return await verify(stored, password);
      } catch {
        return false;
      }
    });
  }
}
