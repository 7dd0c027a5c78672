import type { EntityManager } from 'typeorm';
import type { ChangeFeed, ChangeTopic } from '../domain/change-feed';

export const CHANGE_CHANNEL = 'apiauth_changes';

/** Publishes through PostgreSQL NOTIFY, which is delivered only when the transaction commits. */
export class PgChangeFeed implements ChangeFeed {
  async publish(em: EntityManager, topic: ChangeTopic, id: string): Promise<void> {
    await em.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, `${topic}:${id}`]);
  }
}
