import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { decodeId, toGlobalId } from '../relay/global-id';
import { requireId } from '../relay/require-id';
import { ConnectionArgs, toConnection, toPageRequest } from '../relay/connection';
import { mutate } from '../user-error';
import { Client } from '../client/client.type';
import { ResourceServer } from '../resource-server/resource-server.type';
import { User } from '../user/user.type';
import { UserGrant, UserGrantConnection } from './user-grant.type';
import { UserGrantFilter } from './user-grant.inputs';
import { UserGrantDeletePayload } from './user-grant.payloads';

/** A filter naming an object that cannot exist matches nothing. */
const NO_MATCH = '00000000-0000-0000-0000-000000000000';

@Resolver(() => UserGrant)
export class UserGrantResolver {
  @Authorized(S.readGrants)
  @Query(() => UserGrant, { nullable: true })
  async userGrant(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<UserGrant | null> {
    const uuid = decodeId(id, 'UserGrant');
    const entity = uuid ? await ctx.loaders.userGrant.load(uuid) : null;
    return entity ? UserGrant.from(entity) : null;
  }

  @Authorized(S.readGrants)
  @Query(() => UserGrantConnection, { description: 'Users\' consents, oldest first.' })
  async userGrants(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => UserGrantFilter, { nullable: true }) filter?: UserGrantFilter | null,
  ) {
    const where = {
      userId: filter?.user != null ? (decodeId(filter.user, 'User') ?? NO_MATCH) : undefined,
      clientUuid: filter?.client != null ? (decodeId(filter.client, 'Client') ?? NO_MATCH) : undefined,
      resourceServerId:
        filter?.resourceServer != null ? (decodeId(filter.resourceServer, 'ResourceServer') ?? NO_MATCH) : undefined,
    };
    const page = await ctx.services.userGrants.list(toPageRequest(args), where);
    return toConnection(page, UserGrant.from, () => ctx.services.userGrants.count(where));
  }

  @Authorized(S.readUsers)
  // Nullable: without read:users only this field fails (FORBIDDEN), not the whole grant.
  @FieldResolver(() => User, { nullable: true })
  async user(@Root() grant: UserGrant, @Ctx() ctx: GraphQLContext): Promise<User | null> {
    const entity = await ctx.loaders.user.load(grant.userUuid);
    return entity ? User.from(entity) : null;
  }

  @Authorized(S.readClients)
  // Nullable: without read:clients only this field fails (FORBIDDEN), not the whole grant.
  @FieldResolver(() => Client, { nullable: true })
  async client(@Root() grant: UserGrant, @Ctx() ctx: GraphQLContext): Promise<Client | null> {
    const entity = await ctx.loaders.client.load(grant.clientUuid);
    return entity ? Client.from(entity) : null;
  }

  @Authorized(S.readResourceServers)
  // Nullable: without read:resource_servers only this field fails (FORBIDDEN), not the whole grant.
  @FieldResolver(() => ResourceServer, { nullable: true })
  async resourceServer(@Root() grant: UserGrant, @Ctx() ctx: GraphQLContext): Promise<ResourceServer | null> {
    const entity = await ctx.loaders.resourceServer.load(grant.resourceServerUuid);
    return entity ? ResourceServer.from(entity) : null;
  }

  @Authorized(S.deleteGrants)
  @Mutation(() => UserGrantDeletePayload, {
    description: 'Withdraws a user\'s consent: the next authorization of that client for that API asks the user again.',
  })
  userGrantDelete(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return mutate(async () => {
      const grant = await ctx.services.userGrants.delete(requireId(id, 'UserGrant'), actorOf(ctx));
      return { deletedId: toGlobalId('UserGrant', grant.id) };
    });
  }
}
