import { Arg, Authorized, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { DomainError } from '../../domain/errors';
import { decodeId } from '../relay/global-id';
import { mutate, UserError } from '../user-error';

@InputType()
export class AccessTokenIssueInput {
  @Field(() => ID, { description: 'Global ID of the client the token is for.' })
  clientId!: string;

  @Field(() => ID, { description: 'Global ID of the API.' })
  resourceServerId!: string;

  @Field(() => [String], { nullable: true, description: 'Default: every scope the client grant allows.' })
  scopes?: string[] | null;
}

@ObjectType()
export class AccessTokenIssuePayload {
  @Field(() => String, { nullable: true })
  accessToken?: string | null;

  @Field(() => String, { nullable: true })
  tokenType?: string | null;

  @Field(() => Int, { nullable: true, description: 'Seconds until the token expires.' })
  expiresIn?: number | null;

  @Field(() => String, { nullable: true })
  scope?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@Resolver()
export class AccessTokenResolver {
  @Authorized(S.createTokens)
  @Mutation(() => AccessTokenIssuePayload, {
    description:
      'Issues a client-credentials token for a client without its secret (a dashboard\'s "Test" tab): the same rules and token as POST /oauth/token.',
  })
  accessTokenIssue(@Ctx() ctx: GraphQLContext, @Arg('input') input: AccessTokenIssueInput) {
    return mutate(async () => {
      const clientId = decodeId(input.clientId, 'Client');
      const serverId = decodeId(input.resourceServerId, 'ResourceServer');
      const issues = [];
      if (!clientId) issues.push({ code: 'NOT_FOUND' as const, field: ['input', 'clientId'], message: 'client not found' });
      if (!serverId) issues.push({ code: 'NOT_FOUND' as const, field: ['input', 'resourceServerId'], message: 'resource server not found' });
      if (issues.length > 0) throw new DomainError(issues);
      return ctx.services.tokens.issueForClient(clientId!, serverId!, input.scopes ?? undefined);
    });
  }
}
