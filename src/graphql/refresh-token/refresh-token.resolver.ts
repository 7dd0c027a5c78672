import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { filterId } from '../relay/global-id';
import { nodeConnection } from '../relay/nodes';
import { referenceFields } from '../relay/reference-fields';
import { requireId } from '../relay/require-id';
import { ConnectionArgs } from '../relay/connection';
import { mutate } from '../user-error';
import { RefreshToken, RefreshTokenConnection } from './refresh-token.type';
import { RefreshTokenFilter } from './refresh-token.inputs';
import { RefreshTokenRevokePayload } from './refresh-token.payloads';

export const RefreshTokenReferences = referenceFields(RefreshToken, {
  user: { to: 'User', id: (token) => token.userUuid },
  client: { to: 'Client', id: (token) => token.clientUuid },
  resourceServer: { to: 'ResourceServer', id: (token) => token.resourceServerUuid },
});

@Resolver(() => RefreshToken)
export class RefreshTokenResolver {
  @Authorized(S.readRefreshTokens)
  @Query(() => RefreshTokenConnection, {
    description:
      "Users' refresh tokens (never their values), oldest first: every member of each family, rotated and revoked ones included.",
  })
  async refreshTokens(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => RefreshTokenFilter, { nullable: true }) filter?: RefreshTokenFilter | null,
  ) {
    const where = {
      userId: filterId(filter?.user, 'User'),
      clientUuid: filterId(filter?.client, 'Client'),
    };
    return nodeConnection(ctx, 'RefreshToken', ctx.services.refreshTokens, args, where);
  }

  @Authorized(S.deleteRefreshTokens)
  @Mutation(() => RefreshTokenRevokePayload, {
    description:
      'Revokes a refresh token and every token of its family (the same authorization): the client must sign the user in again. Access tokens already issued stay valid until they expire.',
  })
  refreshTokenRevoke(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return mutate(async () => ({
      refreshToken: RefreshToken.from(await ctx.services.refreshTokens.revoke(requireId(id, 'RefreshToken'), actorOf(ctx))),
    }));
  }
}
