import { DataSource, MoreThan } from 'typeorm';
import { randomToken, sha256Hex } from '../../crypto/random';
import type { Clock } from '../../lib/clock';
import { UserSessionEntity } from '../authorization/authorization.entities';

/** How long a browser sign-in lasts. */
export const SESSION_LIFETIME_SECONDS = 24 * 60 * 60;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Browser sign-in sessions: the cookie holds a random 256-bit id, the database its SHA-256 digest.
 * Lifetimes read the injected clock. Expired rows are purged by housekeeping.
 */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** A new session for the user; returns the id for the cookie (the only time it exists in clear). */
  async create(userId: string): Promise<string> {
    const id = randomToken(32);
    const now = this.clock.now();
    await this.dataSource.manager.insert(UserSessionEntity, {
      idHash: sha256Hex(id),
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_LIFETIME_SECONDS * 1000),
    });
    return id;
  }

  /** The user id of a live session, or null (unknown, malformed or expired id). */
  async userIdOf(id: string | undefined): Promise<string | null> {
    if (id === undefined || !SESSION_ID.test(id)) return null;
    const session = await this.dataSource.manager.findOne(UserSessionEntity, {
      where: { idHash: sha256Hex(id), expiresAt: MoreThan(this.clock.now()) },
      select: { userId: true },
    });
    return session?.userId ?? null;
  }

  /** Ends the session (sign-in again, sign-out); an unknown id is a no-op. */
  async end(id: string): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await this.dataSource.manager.delete(UserSessionEntity, { idHash: sha256Hex(id) });
  }
}
