import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { filterId, toGlobalId } from '../relay/global-id';
import { nodeConnection } from '../relay/nodes';
import { referenceFields } from '../relay/reference-fields';
import { requireId, requireIds } from '../relay/require-id';
import { ConnectionArgs } from '../relay/connection';
import { mutate } from '../user-error';
import { ClientGrant, ClientGrantConnection } from './client-grant.type';
import { ClientGrantCreateInput, ClientGrantDeleteInput, ClientGrantFilter, ClientGrantUpdateInput } from './client-grant.inputs';
import { ClientGrantCreatePayload, ClientGrantDeletePayload, ClientGrantUpdatePayload } from './client-grant.payloads';

export const ClientGrantReferences = referenceFields(ClientGrant, {
  client: { to: 'Client', id: (grant) => grant.clientUuid },
  resourceServer: { to: 'ResourceServer', id: (grant) => grant.resourceServerUuid },
});

@Resolver(() => ClientGrant)
export class ClientGrantResolver {
  @Authorized(S.readClientGrants)
  @Query(() => ClientGrantConnection, { description: 'Client grants, oldest first.' })
  async clientGrants(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ClientGrantFilter, { nullable: true }) filter?: ClientGrantFilter | null,
  ) {
    const where = {
      clientUuid: filterId(filter?.client, 'Client'),
      resourceServerId: filterId(filter?.resourceServer, 'ResourceServer'),
    };
    return nodeConnection(ctx, 'ClientGrant', ctx.services.clientGrants, args, where);
  }

  @Authorized(S.createClientGrants)
  @Mutation(() => ClientGrantCreatePayload, {
    description: 'Authorizes a client (allowed CLIENT_CREDENTIALS or TOKEN_EXCHANGE) for an API.',
  })
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
    return mutate(async () => ({
      clientGrant: ClientGrant.from(await ctx.services.clientGrants.update(requireId(id, 'ClientGrant'), input, actorOf(ctx))),
    }));
  }

  @Authorized(S.deleteClientGrants)
  @Mutation(() => ClientGrantDeletePayload, {
    description:
      'Removes the authorization: the client gets no new tokens for the API (and with `revokeIssuedTokens`, its issued ones stop too).',
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
