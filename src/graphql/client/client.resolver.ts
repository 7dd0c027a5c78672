import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { toGlobalId } from '../relay/global-id';
import { findNodeByIdOr, nodeConnection } from '../relay/nodes';
import { requireId } from '../relay/require-id';
import { Connection, ConnectionArgs, ForwardConnectionArgs, toConnection, toPageRequest } from '../relay/connection';
import { ClientGrant, ClientGrantConnection } from '../client-grant/client-grant.type';
import { mutate } from '../user-error';
import { Client, ClientSecret } from './client.type';
import { ClientCreateInput, ClientFilter, ClientSecretRotateInput, ClientUpdateInput } from './client.inputs';
import { ClientCreatePayload, ClientDeletePayload, ClientSecretRotatePayload, ClientUpdatePayload } from './client.payloads';

export const ClientConnection = Connection(Client, 'Client');

@Resolver(() => Client)
export class ClientResolver {
  @Authorized(S.readClients)
  @Query(() => Client, { nullable: true, description: 'One client by global `id` or by OAuth `clientId` (exactly one of them).' })
  async client(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('clientId', () => String, { nullable: true }) clientId?: string | null,
  ): Promise<Client | null> {
    return findNodeByIdOr(ctx, 'Client', id, {
      name: 'clientId',
      value: clientId,
      find: (value) => ctx.services.clients.findByClientId(value),
    });
  }

  @Authorized(S.readClients)
  @Query(() => ClientConnection, { description: 'Clients, oldest first.' })
  async clients(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => ClientFilter, { nullable: true }) filter?: ClientFilter | null,
  ) {
    const where = { appType: filter?.appType ?? undefined };
    return nodeConnection(ctx, 'Client', ctx.services.clients, args, where);
  }

  @Authorized(S.readClientGrants)
  // Nullable: without read:client_grants only this field fails (FORBIDDEN), not the whole client.
  @FieldResolver(() => ClientGrantConnection, { nullable: true, description: 'APIs this client is authorized for.' })
  async clientGrants(@Root() client: Client, @Ctx() ctx: GraphQLContext, @Args() args: ForwardConnectionArgs) {
    const page = await ctx.loaders.clientGrantPage('client_id', toPageRequest(args)).load(client.uuid);
    return toConnection(page, ClientGrant.from, () => ctx.loaders.clientGrantCount('client_id').load(client.uuid));
  }

  @FieldResolver(() => [ClientSecret], {
    description:
      'Secrets that currently authenticate the client, newest first (at most two, during a rotation). Public and PRIVATE_KEY_JWT clients have none.',
  })
  async secrets(@Root() client: Client, @Ctx() ctx: GraphQLContext): Promise<ClientSecret[]> {
    const rows = await ctx.loaders.clientSecrets.load(client.uuid);
    return rows.map((row) =>
      Object.assign(new ClientSecret(), { createdAt: row.createdAt, expiresAt: row.expiresAt, lastFour: row.lastFour }),
    );
  }

  @Authorized(S.createClients)
  @Mutation(() => ClientCreatePayload, {
    description: 'Creates a client; a confidential one gets a secret, returned once (unless it authenticates with PRIVATE_KEY_JWT).',
  })
  clientCreate(@Ctx() ctx: GraphQLContext, @Arg('input') input: ClientCreateInput) {
    return mutate(async () => {
      const { client, secret } = await ctx.services.clients.create(input, actorOf(ctx));
      return { client: Client.from(client), clientSecret: secret };
    });
  }

  @Authorized(S.updateClients)
  @Mutation(() => ClientUpdatePayload)
  clientUpdate(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input') input: ClientUpdateInput) {
    return mutate(async () => ({ client: Client.from(await ctx.services.clients.update(requireId(id, 'Client'), input, actorOf(ctx))) }));
  }

  @Authorized(S.deleteClients)
  @Mutation(() => ClientDeletePayload, { description: 'Deletes a client with its secrets and client grants.' })
  clientDelete(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return mutate(async () => {
      const uuid = requireId(id, 'Client');
      await ctx.services.clients.delete(uuid, actorOf(ctx));
      return { deletedId: toGlobalId('Client', uuid) };
    });
  }

  @Authorized(S.updateClientKeys)
  @Mutation(() => ClientSecretRotatePayload, {
    description:
      'Gives a confidential client (not a PRIVATE_KEY_JWT one) a new secret, returned once. The old one keeps working for `previousSecretExpiresIn` seconds (default 0: stops at once).',
  })
  clientSecretRotate(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => ClientSecretRotateInput, { nullable: true }) input?: ClientSecretRotateInput | null,
  ) {
    return mutate(async () => {
      const { client, secret } = await ctx.services.clients.rotateSecret(requireId(id, 'Client'), input ?? {}, actorOf(ctx));
      return { client: Client.from(client), clientSecret: secret };
    });
  }
}
