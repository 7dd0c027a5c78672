import type { EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import type { ChangeFeed, ChangeTopic } from './change-feed';

/**
 * Publishes through PostgreSQL NOTIFY on the schema's channel (`changeChannel`, db/schema-scoped.ts), which is delivered only when the transaction commits, to
 * every instance. The instance that commits also applies its own changes the moment the commit
 * returns (a TypeORM subscriber), so its caches are never stale after its own write: on PostgreSQL
 * the NOTIFY reaches it later, on the listening connection.
 */
export class PgChangeFeed implements ChangeFeed, EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, string[]>();

  constructor(
    private readonly channel: string,
    private readonly onCommitted: (payload: string) => void,
  ) {}

  async publish(em: EntityManager, topic: ChangeTopic, id: string): Promise<void> {
    const payload = `${topic}:${id}`;
    await em.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
    const runner = em.queryRunner;
    if (runner?.isTransactionActive) {
      const list = this.pending.get(runner) ?? [];
      list.push(payload);
      this.pending.set(runner, list);
    } else {
      this.onCommitted(payload);
    }
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (event.queryRunner.isTransactionActive) return; // a savepoint was released; the transaction goes on
    const payloads = this.pending.get(event.queryRunner);
    this.pending.delete(event.queryRunner);
    payloads?.forEach((payload) => this.onCommitted(payload));
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }
}
