import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeISOResolver, JSONObjectResolver } from 'graphql-scalars';
import { Node } from '../relay/node';
import { NODE_TYPES, NodeTypeName, toGlobalId } from '../relay/global-id';
import { enumOf } from '../enums';
import { AUDIT_OUTCOMES, AuditEventEntity, AuditOutcome } from '../../domain/audit/audit-event.entity';

export const AuditOutcomeEnum = enumOf(AUDIT_OUTCOMES);
registerEnumType(AuditOutcomeEnum, {
  name: 'AuditOutcome',
  valuesConfig: {
    SUCCESS: { description: 'The change was made (the event committed with it).' },
    DENIED: { description: 'The caller was not authenticated, or lacked a scope; nothing was done.' },
    FAILURE: { description: 'A fault of the service\'s own while serving a request, such as a token hook that failed (`tokenHookFailure`).' },
  },
});

@ObjectType({ description: 'Who performed an action: the subject and client of their access token.' })
export class AuditActor {
  @Field(() => String, { nullable: true, description: '`sub` of the token; null when the caller was not authenticated.' })
  subject!: string | null;

  @Field(() => String, { nullable: true, description: '`client_id` of the token.' })
  clientId!: string | null;
}

/** The global ID of an object target; other targets (a token's jti) as they are. */
export function targetGlobalId(type: string | null, id: string | null): string | null {
  if (id === null) return null;
  return type !== null && (NODE_TYPES as readonly string[]).includes(type) ? toGlobalId(type as NodeTypeName, id) : id;
}

@ObjectType({ implements: Node, description: 'One administrative action, or a refused attempt at one. Holds no secret.' })
export class AuditEvent extends Node {
  @Field(() => DateTimeISOResolver)
  occurredAt!: Date;

  @Field(() => AuditActor)
  actor!: AuditActor;

  @Field({ description: 'The mutation (`clientCreate`), or for DENIED events the field refused (`clients`, `Client.clientGrants`) or `authenticate`.' })
  operation!: string;

  @Field(() => String, { nullable: true, description: 'Type of the target: ResourceServer, Client, ClientGrant, SigningKey or AccessToken.' })
  targetType!: string | null;

  @Field(() => ID, { nullable: true, description: 'Global ID of the target object; for an AccessToken, its jti.' })
  targetId!: string | null;

  @Field(() => JSONObjectResolver, { description: 'What changed (secrets are never recorded).' })
  summary!: Record<string, unknown>;

  @Field(() => AuditOutcomeEnum)
  outcome!: AuditOutcome;

  @Field(() => String, { nullable: true, description: 'The `x-request-id` of the HTTP request.' })
  requestId!: string | null;

  static from(entity: AuditEventEntity): AuditEvent {
    return Object.assign(new AuditEvent(), {
      id: toGlobalId('AuditEvent', entity.id),
      occurredAt: entity.occurredAt,
      actor: Object.assign(new AuditActor(), { subject: entity.actorSubject, clientId: entity.actorClientId }),
      operation: entity.operation,
      targetType: entity.targetType,
      targetId: targetGlobalId(entity.targetType, entity.targetId),
      summary: entity.summary,
      outcome: entity.outcome,
      requestId: entity.requestId,
    });
  }
}
