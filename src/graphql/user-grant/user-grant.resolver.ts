import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { filterId, toGlobalId } from '../relay/global-id';
import { nodeConnection } from '../relay/nodes';
import { referenceFields } from '../relay/reference-fields';
import { requireId } from '../relay/require-id';
import { ConnectionArgs } from '../relay/connection';
import { mutate } from '../user-error';
import { UserGrant, UserGrantConnection } from './user-grant.type';
import { UserGrantFilter } from './user-grant.inputs';
import { UserGrantDeletePayload } from './user-grant.payloads';

export const UserGrantReferences = referenceFields(UserGrant, {
  user: { to: 'User', id: (grant) => grant.userUuid },
  client: { to: 'Client', id: (grant) => grant.clientUuid },
  resourceServer: { to: 'ResourceServer', id: (grant) => grant.resourceServerUuid },
});

@Resolver(() => UserGrant)
export class UserGrantResolver {
  @Authorized(S.readGrants)
  @Query(() => UserGrantConnection, { description: "Users' consents, oldest first." })
  async userGrants(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => UserGrantFilter, { nullable: true }) filter?: UserGrantFilter | null,
  ) {
    const where = {
      userId: filterId(filter?.user, 'User'),
      clientUuid: filterId(filter?.client, 'Client'),
      resourceServerId: filterId(filter?.resourceServer, 'ResourceServer'),
    };
    return nodeConnection(ctx, 'UserGrant', ctx.services.userGrants, args, where);
  }

  @Authorized(S.deleteGrants)
  @Mutation(() => UserGrantDeletePayload, {
    description: "Withdraws a user's consent: the next authorization of that client for that API asks the user again.",
  })
  userGrantDelete(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return mutate(async () => {
      const grant = await ctx.services.userGrants.delete(requireId(id, 'UserGrant'), actorOf(ctx));
      return { deletedId: toGlobalId('UserGrant', grant.id) };
    });
  }
}
