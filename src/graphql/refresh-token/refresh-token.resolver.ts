import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { decodeId } from '../relay/global-id';
import { requireId } from '../relay/require-id';
import { ConnectionArgs, toConnection, toPageRequest } from '../relay/connection';
import { mutate } from '../user-error';
import { Client } from '../client/client.type';
import { ResourceServer } from '../resource-server/resource-server.type';
import { User } from '../user/user.type';
import { RefreshToken, RefreshTokenConnection } from './refresh-token.type';
import { RefreshTokenFilter } from './refresh-token.inputs';
import { RefreshTokenRevokePayload } from './refresh-token.payloads';

/** A filter naming an object that cannot exist matches nothing. */
const NO_MATCH = '00000000-0000-0000-0000-000000000000';

@Resolver(() => RefreshToken)
export class RefreshTokenResolver {
  @Authorized(S.readRefreshTokens)
  @Query(() => RefreshTokenConnection, {
    description: 'Users\' refresh tokens (never their values), oldest first: every member of each family, rotated and revoked ones included.',
  })
  async refreshTokens(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => RefreshTokenFilter, { nullable: true }) filter?: RefreshTokenFilter | null,
  ) {
    const where = {
      userId: filter?.user != null ? (decodeId(filter.user, 'User') ?? NO_MATCH) : undefined,
      clientUuid: filter?.client != null ? (decodeId(filter.client, 'Client') ?? NO_MATCH) : undefined,
    };
    const page = await ctx.services.refreshTokens.list(toPageRequest(args), where);
    for (const entity of page.items) ctx.loaders.refreshToken.prime(entity.id, entity);
    return toConnection(page, RefreshToken.from, () => ctx.services.refreshTokens.count(where));
  }

  @Authorized(S.readUsers)
  // Nullable: without read:users only this field fails (FORBIDDEN), not the whole token.
  @FieldResolver(() => User, { nullable: true })
  async user(@Root() token: RefreshToken, @Ctx() ctx: GraphQLContext): Promise<User | null> {
    const entity = await ctx.loaders.user.load(token.userUuid);
    return entity ? User.from(entity) : null;
  }

  @Authorized(S.readClients)
  // Nullable: without read:clients only this field fails (FORBIDDEN), not the whole token.
  @FieldResolver(() => Client, { nullable: true })
  async client(@Root() token: RefreshToken, @Ctx() ctx: GraphQLContext): Promise<Client | null> {
    const entity = await ctx.loaders.client.load(token.clientUuid);
    return entity ? Client.from(entity) : null;
  }

  @Authorized(S.readResourceServers)
  // Nullable: without read:resource_servers only this field fails (FORBIDDEN), not the whole token.
  @FieldResolver(() => ResourceServer, { nullable: true })
  async resourceServer(@Root() token: RefreshToken, @Ctx() ctx: GraphQLContext): Promise<ResourceServer | null> {
    const entity = await ctx.loaders.resourceServer.load(token.resourceServerUuid);
    return entity ? ResourceServer.from(entity) : null;
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
