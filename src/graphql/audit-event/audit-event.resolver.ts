import { Arg, Args, Authorized, Ctx, Field, FieldResolver, ID, InputType, Query, Resolver, Root } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import type { GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { toGlobalId } from '../relay/global-id';
import { decodeNodeId, isNodeTypeName } from '../relay/node-registry';
import { nodeConnection } from '../relay/nodes';
import { Connection, ConnectionArgs } from '../relay/connection';
import type { AuditFilter } from '../../domain/audit/audit-log';
import { AuditEvent } from './audit-event.type';

export const AuditEventConnection = Connection(AuditEvent, 'AuditEvent');

@InputType()
export class AuditEventFilter {
  @Field(() => ID, { nullable: true, description: 'Global ID of the target object, or the jti of a revoked token.' })
  targetId?: string | null;

  @Field(() => String, { nullable: true, description: 'Subject or client id of the actor.' })
  actor?: string | null;

  @Field(() => String, { nullable: true, description: 'e.g. `clientCreate`.' })
  operation?: string | null;

  @Field(() => DateTimeISOResolver, { nullable: true, description: 'Events at or after this time.' })
  since?: Date | null;

  @Field(() => DateTimeISOResolver, { nullable: true, description: 'Events before this time.' })
  until?: Date | null;
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Authorized(S.readAuditEvents)
  @Query(() => AuditEventConnection, { description: 'The audit log, oldest first (`last: n` gives the newest n).' })
  async auditEvents(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter?: AuditEventFilter | null,
  ) {
    const where: AuditFilter = {
      targetId: filter?.targetId != null ? (decodeNodeId(filter.targetId)?.id ?? filter.targetId) : undefined,
      actor: filter?.actor ?? undefined,
      operation: filter?.operation ?? undefined,
      since: filter?.since ?? undefined,
      until: filter?.until ?? undefined,
    };
    return nodeConnection(ctx, 'AuditEvent', ctx.services.audit, args, where);
  }

  @FieldResolver(() => ID, { nullable: true, description: 'Global ID of the target object; for an AccessToken, its jti.' })
  targetId(@Root() event: AuditEvent): string | null {
    const { targetType, target } = event;
    if (target === null) return null;
    return targetType !== null && isNodeTypeName(targetType) ? toGlobalId(targetType, target) : target;
  }
}
