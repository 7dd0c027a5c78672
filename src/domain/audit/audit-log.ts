import { Clock, systemClock } from '../../lib/clock';
import type { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { keysetPage, Page, PageRequest } from '../pagination';
import { AuditEventEntity } from './audit-event.entity';
import type { Actor } from './actor';
import { redactSecrets } from './redact';

export interface AuditEntry {
  /** The business action, named like its GraphQL mutation (`clientCreate`). */
  operation: string;
  targetType?: string | null;
  /** Database id of the target, or a token's jti. */
  targetId?: string | null;
  /** What changed; secrets are redacted whatever is passed. */
  summary?: Record<string, unknown>;
}

export interface AuditFilter {
  targetId?: string;
  /** Matches the actor's subject or client id. */
  actor?: string;
  operation?: string;
  since?: Date;
  until?: Date;
}

/** Denied attempts (and, separately, failures) written per second per instance; the rest are counted into the next event. */
const UNSUPERVISED_PER_SECOND = 20;
const UNSUPERVISED_BURST = 50;

/**
 * A token bucket for events written outside any transaction: past the budget they are counted,
 * and the count rides on the next event written.
 */
class EventBudget {
  private tokens = UNSUPERVISED_BURST;
  private refilledAt: number;
  private suppressed = 0;

  constructor(private readonly clock: Clock) {
    this.refilledAt = clock.now().getTime();
  }

  /** The number of events suppressed since the last one written, or null when this one is suppressed too. */
  take(): number | null {
    const now = this.clock.now().getTime();
    this.tokens = Math.min(UNSUPERVISED_BURST, this.tokens + ((now - this.refilledAt) / 1000) * UNSUPERVISED_PER_SECOND);
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.suppressed++;
      return null;
    }
    this.tokens--;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return suppressed;
  }
}

/**
 * The audit log. Changes are recorded with `record(em, …)` inside the transaction that makes them,
 * so a change and its event commit or roll back together. Refused authorization attempts are
 * recorded with `recordDenied`, and faults of the service's own (a token hook that failed) with
 * `recordFailure`, on their own, each rate-limited so a flood of bad requests (or a hook that is
 * down) cannot turn into a flood of writes.
 */
export class AuditLog {
  private readonly denied: EventBudget;
  private readonly failures: EventBudget;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly dataSource: DataSource,
    options: { clock?: Clock; onError?: (error: unknown) => void } = {},
  ) {
    const clock = options.clock ?? systemClock;
    this.denied = new EventBudget(clock);
    this.failures = new EventBudget(clock);
    this.onError = options.onError ?? (() => {});
  }

  async record(em: EntityManager, actor: Actor, entry: AuditEntry): Promise<void> {
    await em.insert(AuditEventEntity, row(actor, entry, 'SUCCESS'));
  }

  /** Records an action that writes nothing else (issuing a token), in a statement of its own. */
  async recordAlone(actor: Actor, entry: AuditEntry): Promise<void> {
    await this.dataSource.manager.insert(AuditEventEntity, row(actor, entry, 'SUCCESS'));
  }

  /** Records a refused attempt without waiting for it; a write failure is reported, not thrown. */
  recordDenied(actor: Actor, entry: AuditEntry): void {
    const suppressed = this.denied.take();
    if (suppressed === null) return;
    const summary = { ...entry.summary, ...(suppressed > 0 ? { suppressedDeniedEvents: suppressed } : {}) };
    this.dataSource.manager.insert(AuditEventEntity, row(actor, { ...entry, summary }, 'DENIED')).catch(this.onError);
  }

  /** Records a fault (outcome FAILURE) without waiting for it, outside any transaction; rate-limited like `recordDenied`. */
  recordFailure(actor: Actor, entry: AuditEntry): void {
    const suppressed = this.failures.take();
    if (suppressed === null) return;
    const summary = { ...entry.summary, ...(suppressed > 0 ? { suppressedFailureEvents: suppressed } : {}) };
    this.dataSource.manager.insert(AuditEventEntity, row(actor, { ...entry, summary }, 'FAILURE')).catch(this.onError);
  }

  list(page: PageRequest, filter: AuditFilter = {}): Promise<Page<AuditEventEntity>> {
    return keysetPage(this.filtered(filter), page);
  }

  count(filter: AuditFilter = {}): Promise<number> {
    return this.filtered(filter).getCount();
  }

  private filtered(filter: AuditFilter) {
    const qb = this.dataSource.manager.createQueryBuilder(AuditEventEntity, 'e');
    if (filter.targetId !== undefined) qb.andWhere('e.target_id = :targetId', { targetId: filter.targetId });
    if (filter.actor !== undefined) {
      qb.andWhere('(e.actor_subject = :actor OR e.actor_client_id = :actor)', { actor: filter.actor });
    }
    if (filter.operation !== undefined) qb.andWhere('e.operation = :operation', { operation: filter.operation });
    if (filter.since !== undefined) qb.andWhere('e.occurred_at >= :since', { since: filter.since });
    if (filter.until !== undefined) qb.andWhere('e.occurred_at < :until', { until: filter.until });
    return qb;
  }
}

function row(actor: Actor, entry: AuditEntry, outcome: AuditEventEntity['outcome']): QueryDeepPartialEntity<AuditEventEntity> {
  return {
    actorSubject: actor.subject?.slice(0, 255) ?? null,
    actorClientId: actor.clientId?.slice(0, 128) ?? null,
    operation: entry.operation.slice(0, 100),
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    summary: redactSecrets(entry.summary ?? {}) as never,
    outcome,
    requestId: actor.requestId?.slice(0, 100) ?? null,
  };
}
