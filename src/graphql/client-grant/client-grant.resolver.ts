import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { decodeId, toGlobalId } from '../relay/global-id';
import { requireId, requireIds } from '../relay/require-id';
import { ConnectionArgs, toConnection, toPageRequest } from '../relay/connection';
import { mutate } from '../user-error';
import { Client } from '../client/client.type';
import { ResourceServer } from '../resource-server/resource-server.type';
import { ClientGrant, ClientGrantConnection } from './client-grant.type';
import { ClientGrantCreateInput, ClientGrantDeleteInput, ClientGrantFilter, ClientGrantUpdateInput } from './client-grant.inputs';
import { ClientGrantCreatePayload, ClientGrantDeletePayload, ClientGrantUpdatePayload } from './client-grant.payloads';

/** A filter naming an object that cannot exist matches nothing. */
const NO_MATCH = '00000000-0000-0000-0000-000000000000';

@Resolver(() => ClientGrant)
export class ClientGrantResolver {
  @Authorized(S.readClientGrants)
  @Query(() => ClientGrant, { nullable: true })
  async clientGrant(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ClientGrant | null> {
    const uuid = decodeId(id, 'ClientGrant');
    const entity = uuid ? await ctx.loaders.clientGrant.load(uuid) : null;
    return entity ? ClientGrant.from(entity) : null;
  }

  @Authorized(S.readClientGrants)
  @Query(() => ClientGrantConnection, { description: 'Client grants, oldest first.' })
  async clientGrants(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ClientGrantFilter, { nullable: true }) filter?: ClientGrantFilter | null,
  ) {
    const where = {
      clientUuid: filter?.client != null ? (decodeId(filter.client, 'Client') ?? NO_MATCH) : undefined,
      resourceServerId:
        filter?.resourceServer != null ? (decodeId(filter.resourceServer, 'ResourceServer') ?? NO_MATCH) : undefined,
    };
    const page = await ctx.services.clientGrants.list(toPageRequest(args), where);
    return toConnection(page, ClientGrant.from, () => ctx.services.clientGrants.count(where));
  }

  @Authorized(S.readClients)
  // Nullable: without read:clients only this field fails (FORBIDDEN), not the whole grant.
  @FieldResolver(() => Client, { nullable: true })
  async client(@Root() grant: ClientGrant, @Ctx() ctx: GraphQLContext): Promise<Client> {
    return Client.from((await ctx.loaders.client.load(grant.clientUuid))!);
  }

  @Authorized(S.readResourceServers)
  // Nullable: without read:resource_servers only this field fails (FORBIDDEN), not the whole grant.
  @FieldResolver(() => ResourceServer, { nullable: true })
  async resourceServer(@Root() grant: ClientGrant, @Ctx() ctx: GraphQLContext): Promise<ResourceServer> {
    return ResourceServer.from((await ctx.loaders.resourceServer.load(grant.resourceServerUuid))!);
  }

  @Authorized(S.createClientGrants)
  @Mutation(() => ClientGrantCreatePayload, { description: 'Authorizes a client (allowed CLIENT_CREDENTIALS) for an API.' })
  clientGrantCreate(@Ctx() ctx: GraphQLContext, @Arg('input') input: ClientGrantCreateInput) {
    return mutate(async () => {
      const ids = requireIds({
        clientUuid: { id: input.clientId, type: 'Client', field: ['input', 'clientId'] },
        resourceServerId: { id: input.resourceServerId, type: 'ResourceServer', field: ['input', 'resourceServerId'] },
      });
      const grant = await ctx.services.clientGrants.create({ ...ids, scopes: input.scopes }, actorOf(ctx));
      return { clientGrant: ClientGrant.from(grant) };
    });
  }

  @Authorized(S.updateClientGrants)
  @Mutation(() => ClientGrantUpdatePayload)
  clientGrantUpdate(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input') input: ClientGrantUpdateInput) {
    return mutate(async () => ({ clientGrant: ClientGrant.from(await ctx.services.clientGrants.update(requireId(id, 'ClientGrant'), input, actorOf(ctx))) }));
  }

  @Authorized(S.deleteClientGrants)
  @Mutation(() => ClientGrantDeletePayload, {
    description: 'Removes the authorization: the client gets no new tokens for the API (and with `revokeIssuedTokens`, its issued ones stop too).',
  })
  clientGrantDelete(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => ClientGrantDeleteInput, { nullable: true }) input?: ClientGrantDeleteInput | null,
  ) {
    return mutate(async () => {
      const grant = await ctx.services.clientGrants.delete(requireId(id, 'ClientGrant'), input ?? {}, actorOf(ctx));
      return { deletedId: toGlobalId('ClientGrant', grant.id) };
    });
  }
}
