import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { toGlobalId } from '../relay/global-id';
import { nodeConnection } from '../relay/nodes';
import { requireId } from '../relay/require-id';
import { ConnectionArgs } from '../relay/connection';
import { mutate } from '../user-error';
import { User, UserConnection } from './user.type';
import { UserCreateInput, UserFilter, UserPasswordSetInput, UserUpdateInput } from './user.inputs';
import { UserCreatePayload, UserDeletePayload, UserPasswordSetPayload, UserUpdatePayload } from './user.payloads';

@Resolver(() => User)
export class UserResolver {
  @Authorized(S.readUsers)
  @Query(() => UserConnection, { description: 'Users, oldest first.' })
  async users(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => UserFilter, { nullable: true }) filter?: UserFilter | null,
  ) {
    const where = { email: filter?.email ?? undefined, sub: filter?.sub ?? undefined };
    return nodeConnection(ctx, 'User', ctx.services.users, args, where);
  }

  @Authorized(S.createUsers)
  @Mutation(() => UserCreatePayload, { description: 'Creates a user, with or without a password.' })
  userCreate(@Ctx() ctx: GraphQLContext, @Arg('input') input: UserCreateInput) {
    return mutate(async () => ({ user: User.from(await ctx.services.users.create(input, actorOf(ctx))) }));
  }

  @Authorized(S.updateUsers)
  @Mutation(() => UserUpdatePayload, { description: "Changes a user's profile; blocking also ends their login sessions." })
  userUpdate(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input') input: UserUpdateInput) {
    return mutate(async () => ({ user: User.from(await ctx.services.users.update(requireId(id, 'User'), input, actorOf(ctx))) }));
  }

  @Authorized(S.deleteUsers)
  @Mutation(() => UserDeletePayload, { description: 'Deletes a user with their consents and login sessions.' })
  userDelete(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return mutate(async () => {
      const user = await ctx.services.users.delete(requireId(id, 'User'), actorOf(ctx));
      return { deletedId: toGlobalId('User', user.id) };
    });
  }

  @Authorized(S.updateUsers)
  @Mutation(() => UserPasswordSetPayload, {
    description: "Sets or replaces a user's password (stored as an Argon2id hash, never returned); their login sessions end.",
  })
  userPasswordSet(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input') input: UserPasswordSetInput) {
    return mutate(async () => ({
      user: User.from(await ctx.services.users.setPassword(requireId(id, 'User'), input.password, actorOf(ctx))),
    }));
  }
}
