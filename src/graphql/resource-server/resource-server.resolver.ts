import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { toGlobalId } from '../relay/global-id';
import { findNodeByIdOr, nodeConnection } from '../relay/nodes';
import { requireId } from '../relay/require-id';
import { Connection, ConnectionArgs, ForwardConnectionArgs, toConnection, toPageRequest } from '../relay/connection';
import { ClientGrant, ClientGrantConnection } from '../client-grant/client-grant.type';
import { mutate } from '../user-error';
import { ResourceServer, Scope } from './resource-server.type';
import {
  ResourceServerCreateInput,
  ResourceServerSigningSecretRotateInput,
  ResourceServerUpdateInput,
  ScopeInput,
} from './resource-server.inputs';
import {
  ResourceServerCreatePayload,
  ResourceServerDeletePayload,
  ResourceServerScopesAddPayload,
  ResourceServerScopesRemovePayload,
  ResourceServerSigningSecretRotatePayload,
  ResourceServerUpdatePayload,
} from './resource-server.payloads';

export const ResourceServerConnection = Connection(ResourceServer, 'ResourceServer');

@Resolver(() => ResourceServer)
export class ResourceServerResolver {
  @Authorized(S.readResourceServers)
  @Query(() => ResourceServer, { nullable: true, description: 'One API by global `id` or by `identifier` (exactly one of them).' })
  async resourceServer(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('identifier', () => String, { nullable: true }) identifier?: string | null,
  ): Promise<ResourceServer | null> {
    return findNodeByIdOr(ctx, 'ResourceServer', id, {
      name: 'identifier',
      value: identifier,
      find: (value) => ctx.services.resourceServers.findByIdentifier(value),
    });
  }

  @Authorized(S.readResourceServers)
  @Query(() => ResourceServerConnection, { description: 'APIs, oldest first.' })
  async resourceServers(@Ctx() ctx: GraphQLContext, @Args() args: ConnectionArgs) {
    return nodeConnection(ctx, 'ResourceServer', ctx.services.resourceServers, args, undefined);
  }

  @FieldResolver(() => [Scope], { description: 'In the order they were added.' })
  async scopes(@Root() server: ResourceServer, @Ctx() ctx: GraphQLContext): Promise<Scope[]> {
    return (await ctx.loaders.scopes.load(server.uuid)).map(Scope.from);
  }

  @Authorized(S.readClientGrants)
  // Nullable: a caller without read:client_grants gets null here (FORBIDDEN), not a null API.
  @FieldResolver(() => ClientGrantConnection, { nullable: true, description: 'Clients authorized for this API.' })
  async clientGrants(@Root() server: ResourceServer, @Ctx() ctx: GraphQLContext, @Args() args: ForwardConnectionArgs) {
    const page = await ctx.loaders.clientGrantPage('resource_server_id', toPageRequest(args)).load(server.uuid);
    return toConnection(page, ClientGrant.from, () => ctx.loaders.clientGrantCount('resource_server_id').load(server.uuid));
  }

  @Authorized(S.createResourceServers)
  @Mutation(() => ResourceServerCreatePayload, { description: 'Creates an API; an HS256 API also gets its signing secret, returned once.' })
  resourceServerCreate(@Ctx() ctx: GraphQLContext, @Arg('input') input: ResourceServerCreateInput) {
    return mutate(async () => {
      const { server, extras } = await ctx.services.resourceServers.create(input, actorOf(ctx));
      return {
        resourceServer: ResourceServer.from(server),
        signingSecret: (extras.signingSecret as string | undefined) ?? null,
      };
    });
  }

  @Authorized(S.updateResourceServers)
  @Mutation(() => ResourceServerUpdatePayload)
  resourceServerUpdate(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input') input: ResourceServerUpdateInput) {
    return mutate(async () => ({
      resourceServer: ResourceServer.from(await ctx.services.resourceServers.update(requireId(id, 'ResourceServer'), input, actorOf(ctx))),
    }));
  }

  @Authorized(S.deleteResourceServers)
  @Mutation(() => ResourceServerDeletePayload, { description: 'Deletes an API with its scopes and client grants.' })
  resourceServerDelete(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return mutate(async () => {
      const uuid = requireId(id, 'ResourceServer');
      await ctx.services.resourceServers.delete(uuid, actorOf(ctx));
      return { deletedId: toGlobalId('ResourceServer', uuid) };
    });
  }

  @Authorized(S.updateResourceServers)
  @Mutation(() => ResourceServerScopesAddPayload, { description: 'Defines new scopes on an API (at most 1000 in all).' })
  resourceServerScopesAdd(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('scopes', () => [ScopeInput]) scopes: ScopeInput[],
  ) {
    return mutate(async () => ({
      resourceServer: ResourceServer.from(
        await ctx.services.resourceServers.addScopes(requireId(id, 'ResourceServer'), scopes, actorOf(ctx)),
      ),
    }));
  }

  @Authorized(S.updateResourceServers)
  @Mutation(() => ResourceServerScopesRemovePayload, {
    description: 'Removes scopes from an API and from every client grant holding them.',
  })
  resourceServerScopesRemove(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('values', () => [String]) values: string[]) {
    return mutate(async () => ({
      resourceServer: ResourceServer.from(
        await ctx.services.resourceServers.removeScopes(requireId(id, 'ResourceServer'), values, actorOf(ctx)),
      ),
    }));
  }

  @Authorized(S.updateResourceServers)
  @Mutation(() => ResourceServerSigningSecretRotatePayload, {
    description:
      'Gives an HS256 API a new signing secret, returned once. Tokens signed with the old secret stay verifiable (introspection) for `previousSecretExpiresIn` seconds (default 0: refused at once).',
  })
  resourceServerSigningSecretRotate(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => ResourceServerSigningSecretRotateInput, { nullable: true }) input?: ResourceServerSigningSecretRotateInput | null,
  ) {
    return mutate(async () => {
      const { server, signingSecret } = await ctx.services.resourceServers.rotateSigningSecret(
        requireId(id, 'ResourceServer'),
        input ?? {},
        actorOf(ctx),
      );
      return { resourceServer: ResourceServer.from(server), signingSecret };
    });
  }
}
