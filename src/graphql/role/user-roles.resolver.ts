import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { decodeId } from '../relay/global-id';
import { requireId } from '../relay/require-id';
import { ForwardConnectionArgs, toConnection, toPageRequest } from '../relay/connection';
import { mutate } from '../user-error';
import { User } from '../user/user.type';
import { Permission, Role, RoleConnection } from './role.type';
import { RoleEntity } from '../../domain/role/role.entities';
import { UserRolesAssignPayload, UserRolesRemovePayload } from './role.payloads';
import type { Actor } from '../../domain/audit/actor';
import type { UserEntity } from '../../domain/user/user.entity';

/** A user's roles and effective permissions (RBAC), next to the User type's own resolver. */
@Resolver(() => User)
export class UserRolesResolver {
  @Authorized(S.readRoles)
  // Nullable: without read:roles only this field fails (FORBIDDEN), not the whole user.
  @FieldResolver(() => RoleConnection, { nullable: true, description: "The user's roles, in the order they were given." })
  async roles(@Root() user: User, @Ctx() ctx: GraphQLContext, @Args() args: ForwardConnectionArgs) {
    const page = await ctx.loaders.userRolePage(toPageRequest(args)).load(user.uuid);
    for (const m of page.items) ctx.loaders.byId(RoleEntity).prime(m.item.id, m.item);
    return toConnection(
      page,
      (m) => Role.from(m.item),
      () => ctx.loaders.roleMembershipCount('user_id').load(user.uuid),
    );
  }

  @Authorized(S.readRoles)
  @FieldResolver(() => [Permission], {
    nullable: true,
    description: 'Every permission the user holds across their roles (distinct), by API identifier then scope.',
  })
  async permissions(@Root() user: User, @Ctx() ctx: GraphQLContext): Promise<Permission[]> {
    return (await ctx.loaders.userPermissions.load(user.uuid)).map(Permission.from);
  }

  @Authorized(S.updateRoles)
  @Mutation(() => UserRolesAssignPayload, {
    description: 'Gives a user roles (at most 100 per user); roles already held are ignored.',
  })
  userRolesAssign(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { description: 'Global ID of the user.' }) id: string,
    @Arg('roleIds', () => [ID]) roleIds: string[],
  ) {
    return changeRoles(ctx, id, roleIds, (userId, roles, actor) => ctx.services.roles.assignToUser(userId, roles, actor));
  }

  @Authorized(S.updateRoles)
  @Mutation(() => UserRolesRemovePayload, {
    description: 'Takes roles from a user (those not held are ignored); applies from their next token or refresh.',
  })
  userRolesRemove(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { description: 'Global ID of the user.' }) id: string,
    @Arg('roleIds', () => [ID]) roleIds: string[],
  ) {
    return changeRoles(ctx, id, roleIds, (userId, roles, actor) => ctx.services.roles.removeFromUser(userId, roles, actor));
  }
}

/** Assigns or removes roles: the user's and the roles' global IDs decoded (an unknown role ID matches no role). */
function changeRoles(
  ctx: GraphQLContext,
  id: string,
  roleIds: string[],
  change: (userId: string, roleIds: string[], actor: Actor) => Promise<UserEntity>,
) {
  return mutate(async () => {
    const user = await change(
      requireId(id, 'User'),
      roleIds.map((r) => decodeId(r, 'Role') ?? ''),
      actorOf(ctx),
    );
    return { user: User.from(user) };
  });
}
