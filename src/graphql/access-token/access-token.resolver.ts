import { Arg, Authorized, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { requireIds } from '../relay/require-id';
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
      const ids = requireIds({
        clientId: { id: input.clientId, type: 'Client', field: ['input', 'clientId'] },
        serverId: { id: input.resourceServerId, type: 'ResourceServer', field: ['input', 'resourceServerId'] },
      });
      return ctx.services.tokens.issueForClient(ids.clientId, ids.serverId, input.scopes ?? undefined);
    });
  }
}
