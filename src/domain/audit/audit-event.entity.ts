import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_OUTCOMES = ['SUCCESS', 'DENIED', 'FAILURE'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One administrative action (or a refused attempt at one, or a fault of the service's own: FAILURE). Append-only. */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz', insert: false, update: false })
  occurredAt!: Date;

  /** `sub` of the caller's token; null when the caller could not be authenticated. */
  @Column({ name: 'actor_subject', type: 'varchar', length: 255, nullable: true })
  actorSubject!: string | null;

  @Column({ name: 'actor_client_id', type: 'varchar', length: 128, nullable: true })
  actorClientId!: string | null;

  @Column({ type: 'varchar', length: 100 })
  operation!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  /** The target's database id (a uuid), or a token's jti. */
  @Column({ name: 'target_id', type: 'varchar', length: 255, nullable: true })
  targetId!: string | null;

  @Column({ type: 'jsonb' })
  summary!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  @Column({ name: 'request_id', type: 'varchar', length: 100, nullable: true })
  requestId!: string | null;
}
