import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { requireId, requireIds } from '../relay/require-id';
import { mutate } from '../user-error';
import { ResourceServer } from './resource-server.type';
import { TokenHook } from './token-hook.type';
import { ResourceServerTokenHookSetInput, ResourceServerTokenHookTestInput } from './token-hook.inputs';
import {
  ResourceServerTokenHookRemovePayload,
  ResourceServerTokenHookSetPayload,
  ResourceServerTokenHookTestPayload,
} from './token-hook.payloads';

/**
 * An API's token hook: the field, and the mutations that set, remove and test it. All need
 * `update:resource_servers`, the test too: it makes a signed call to the hook on the caller's behalf.
 */
@Resolver(() => ResourceServer)
export class TokenHookResolver {
  @FieldResolver(() => TokenHook, { nullable: true, description: 'Null: the API has no token hook. The secret is never shown here.' })
  async tokenHook(@Root() server: ResourceServer, @Ctx() ctx: GraphQLContext): Promise<TokenHook | null> {
    const entity = await ctx.loaders.tokenHook.load(server.uuid);
    return entity ? TokenHook.from(entity) : null;
  }

  @Authorized(S.updateResourceServers)
  @Mutation(() => ResourceServerTokenHookSetPayload, {
    description:
      "Creates or replaces the API's token hook (omitted settings take their defaults). A new hook gets a secret, returned once in `hookSecret`; an existing one keeps its secret unless `rotateSecret` is true. A system API cannot have one.",
  })
  resourceServerTokenHookSet(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: ResourceServerTokenHookSetInput,
  ) {
    return mutate(async () => {
      const uuid = requireId(id, 'ResourceServer');
      const { server, hook, secret } = await ctx.services.tokenHooks.set(uuid, input, actorOf(ctx));
      return { resourceServer: ResourceServer.from(server), tokenHook: TokenHook.from(hook), hookSecret: secret };
    });
  }

  @Authorized(S.updateResourceServers)
  @Mutation(() => ResourceServerTokenHookRemovePayload, {
    description: "Removes the API's token hook: its tokens get no hook claims from now on.",
  })
  resourceServerTokenHookRemove(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return mutate(async () => {
      const server = await ctx.services.tokenHooks.remove(requireId(id, 'ResourceServer'), actorOf(ctx));
      return { resourceServer: ResourceServer.from(server) };
    });
  }

  @Authorized(S.updateResourceServers)
  @Mutation(() => ResourceServerTokenHookTestPayload, {
    description:
      "Calls the API's token hook with a sample context (signed like a real call) and returns the claims it answered, or why it failed. Issues no token.",
  })
  resourceServerTokenHookTest(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => ResourceServerTokenHookTestInput, { nullable: true }) input?: ResourceServerTokenHookTestInput | null,
  ) {
    return mutate(async () => {
      const given = input ?? {};
      // Every ID argument checked at once, each NOT_FOUND at its own field.
      const args: Parameters<typeof requireIds<string>>[0] = { id: { id, type: 'ResourceServer', field: ['id'] } };
      if (given.clientId != null) args.clientUuid = { id: given.clientId, type: 'Client', field: ['input', 'clientId'] };
      if (given.userId != null) args.userId = { id: given.userId, type: 'User', field: ['input', 'userId'] };
      const ids: Record<string, string | undefined> = requireIds(args);
      return ctx.services.tokenHookTester.test(
        ids.id!,
        { grantType: given.grantType, scopes: given.scopes, clientUuid: ids.clientUuid, userId: ids.userId },
        actorOf(ctx),
      );
    });
  }
}
