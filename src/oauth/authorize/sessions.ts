import type { DataSource } from 'typeorm';
import { randomToken, sha256Hex } from '../../crypto/random';
import { UserSessionEntity } from '../../domain/authorization/authorization.entities';

/** How long a browser sign-in lasts. */
export const SESSION_LIFETIME_SECONDS = 24 * 60 * 60;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Browser sign-in sessions for /authorize: the cookie holds a random 256-bit id, the database its
 * SHA-256 digest. Expired rows are purged by housekeeping.
 */
export class SessionStore {
  constructor(private readonly dataSource: DataSource) {}

  /** A new session for the user; returns the id for the cookie. */
  async create(userId: string): Promise<string> {
    const id = randomToken(32);
    await this.dataSource.manager.insert(UserSessionEntity, {
      idHash: sha256Hex(id),
      userId,
      expiresAt: new Date(Date.now() + SESSION_LIFETIME_SECONDS * 1000),
    });
    return id;
  }

  /** The user id of a live session, or null. */
  async userIdOf(id: string | undefined): Promise<string | null> {
    if (id === undefined || !SESSION_ID.test(id)) return null;
    const rows: { user_id: string }[] = await this.dataSource.query(
      `SELECT user_id FROM user_sessions WHERE id_hash = $1 AND expires_at > now()`,
      [sha256Hex(id)],
    );
    return rows[0]?.user_id ?? null;
  }

  async delete(id: string): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await this.dataSource.manager.delete(UserSessionEntity, { idHash: sha256Hex(id) });
  }
}
