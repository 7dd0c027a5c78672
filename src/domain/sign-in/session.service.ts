import { DataSource } from 'typeorm';
import { randomToken, sha256Hex } from '../../crypto/random';
import type { Clock } from '../../lib/clock';
import { UserSessionEntity } from '../authorization/authorization.entities';
import type { Authentication } from './authentication';

/** A use moves the idle expiry on only when it has aged this long: one write a minute per busy session at most. */
const IDLE_WRITE_INTERVAL_SECONDS = 60;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface SessionPolicy {
  /** Seconds from sign-in to the session's absolute end. */
  lifetimeSeconds: number;
  /** Seconds without use after which the session ends. */
  idleTimeoutSeconds: number;
}

/** A live session, as /authorize and logout need it. */
export interface LiveSession extends Authentication {
  userId: string;
}

/**
 * Browser sign-in sessions: the cookie holds a random 256-bit id, the database its SHA-256 digest,
 * and `sid` a separate public id (ID tokens and logout name the session by it, never by the
 * cookie's secret). A session ends at its absolute lifetime, or earlier when unused for the idle
 * timeout. Times read the injected clock. Expired rows are purged by housekeeping.
 */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    /** From the configuration (SESSION_LIFETIME_SECONDS, SESSION_IDLE_TIMEOUT_SECONDS). */
    readonly policy: SessionPolicy,
  ) {}

  /** A new session for the user; returns the id for the cookie (the only time it exists in clear). */
  async create(userId: string): Promise<string> {
    const id = randomToken(32);
    const now = this.clock.now();
    const expiresAt = this.after(now, this.policy.lifetimeSeconds);
    await this.dataSource.manager.insert(UserSessionEntity, {
      idHash: sha256Hex(id),
      sid: randomToken(16),
      userId,
      createdAt: now,
      expiresAt,
      idleExpiresAt: this.earliest(this.after(now, this.policy.idleTimeoutSeconds), expiresAt),
    });
    return id;
  }

  /**
   * The live session of a cookie's id, or null (unknown, malformed, expired or idle too long).
   * Finding it is a use: its idle expiry moves on.
   */
  async find(id: string | undefined): Promise<LiveSession | null> {
    if (id === undefined || !SESSION_ID.test(id)) return null;
    const now = this.clock.now();
    const session = await this.dataSource.manager.findOne(UserSessionEntity, { where: { idHash: sha256Hex(id) } });
    if (!session || session.expiresAt <= now || session.idleExpiresAt <= now) return null;
    const idleExpiresAt = this.earliest(this.after(now, this.policy.idleTimeoutSeconds), session.expiresAt);
    if (idleExpiresAt.getTime() - session.idleExpiresAt.getTime() >= IDLE_WRITE_INTERVAL_SECONDS * 1000) {
      await this.dataSource.manager.update(UserSessionEntity, { idHash: session.idHash }, { idleExpiresAt });
    }
    return { userId: session.userId, sid: session.sid, authTime: session.createdAt };
  }

  /** Ends the session (sign-in again, sign-out); an unknown id is a no-op. */
  async end(id: string): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await this.dataSource.manager.delete(UserSessionEntity, { idHash: sha256Hex(id) });
  }

  private after(date: Date, seconds: number): Date {
    return new Date(date.getTime() + seconds * 1000);
  }

  private earliest(a: Date, b: Date): Date {
    return a.getTime() <= b.getTime() ? a : b;
  }
}
