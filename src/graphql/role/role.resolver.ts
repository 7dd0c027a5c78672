import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import type { PermissionRef } from '../../domain/role/role.service';
import { decodeId, toGlobalId } from '../relay/global-id';
import { requireId } from '../relay/require-id';
import { ConnectionArgs, ForwardConnectionArgs, toConnection, toPageRequest } from '../relay/connection';
import { mutate } from '../user-error';
import { nodeConnection } from '../relay/nodes';
import { referenceFields } from '../relay/reference-fields';
import { User, UserConnection } from '../user/user.type';
import { Permission, Role, RoleConnection } from './role.type';
import { PermissionInput, RoleCreateInput, RoleFilter, RoleUpdateInput } from './role.inputs';
import {
  RoleCreatePayload,
  RoleDeletePayload,
  RolePermissionsAddPayload,
  RolePermissionsRemovePayload,
  RoleUpdatePayload,
} from './role.payloads';

/** Global IDs of APIs to uuids; one that is not an API's ID becomes '' (the service says NOT_FOUND at its index). */
export function toPermissionRefs(permissions: PermissionInput[]): PermissionRef[] {
  return permissions.map((p) => ({ resourceServerId: decodeId(p.resourceServerId, 'ResourceServer') ?? '', scope: p.scope }));
}

@Resolver(() => Role)
export class RoleResolver {
  @Authorized(S.readRoles)
  @Query(() => RoleConnection, { description: 'Roles, oldest first.' })
  async roles(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => RoleFilter, { nullable: true }) filter?: RoleFilter | null,
  ) {
    const where = { name: filter?.name ?? undefined };
    return nodeConnection(ctx, 'Role', ctx.services.roles, args, where);
  }

  @FieldResolver(() => [Permission], { description: 'In the order they were added.' })
  async permissions(@Root() role: Role, @Ctx() ctx: GraphQLContext): Promise<Permission[]> {
    return (await ctx.loaders.rolePermissions.load(role.uuid)).map(Permission.from);
  }

  @Authorized(S.readUsers)
  // Nullable: without read:users only this field fails (FORBIDDEN), not the whole role.
  @FieldResolver(() => UserConnection, { nullable: true, description: 'Users holding the role, in the order they were given it.' })
  async users(@Root() role: Role, @Ctx() ctx: GraphQLContext, @Args() args: ForwardConnectionArgs) {
    const page = await ctx.loaders.roleUserPage(toPageRequest(args)).load(role.uuid);
    return toConnection(
      page,
      (m) => User.from(m.item),
      () => ctx.loaders.roleMembershipCount('role_id').load(role.uuid),
    );
  }

  @Authorized(S.createRoles)
  @Mutation(() => RoleCreatePayload, { description: 'Creates a role, without permissions or users.' })
  roleCreate(@Ctx() ctx: GraphQLContext, @Arg('input') input: RoleCreateInput) {
    return mutate(async () => ({ role: Role.from(await ctx.services.roles.create(input, actorOf(ctx))) }));
  }

  @Authorized(S.updateRoles)
  @Mutation(() => RoleUpdatePayload, { description: 'Renames a role or changes its description.' })
  roleUpdate(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input') input: RoleUpdateInput) {
    return mutate(async () => ({ role: Role.from(await ctx.services.roles.update(requireId(id, 'Role'), input, actorOf(ctx))) }));
  }

  @Authorized(S.deleteRoles)
  @Mutation(() => RoleDeletePayload, {
    description: 'Deletes a role: its users lose its permissions from their next token or refresh.',
  })
  roleDelete(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return mutate(async () => {
      const role = await ctx.services.roles.delete(requireId(id, 'Role'), actorOf(ctx));
      return { deletedId: toGlobalId('Role', role.id) };
    });
  }

  @Authorized(S.updateRoles)
  @Mutation(() => RolePermissionsAddPayload, {
    description:
      "Gives a role scopes of APIs (at most 1000 permissions per role); those already held are ignored. The Management API's scopes are given to clients through client grants only.",
  })
  rolePermissionsAdd(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('permissions', () => [PermissionInput]) permissions: PermissionInput[],
  ) {
    return mutate(async () => ({
      role: Role.from(await ctx.services.roles.addPermissions(requireId(id, 'Role'), toPermissionRefs(permissions), actorOf(ctx))),
    }));
  }

  @Authorized(S.updateRoles)
  @Mutation(() => RolePermissionsRemovePayload, {
    description: "Takes scopes from a role (those it does not hold are ignored); applies from its users' next token or refresh.",
  })
  rolePermissionsRemove(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('permissions', () => [PermissionInput]) permissions: PermissionInput[],
  ) {
    return mutate(async () => ({
      role: Role.from(await ctx.services.roles.removePermissions(requireId(id, 'Role'), toPermissionRefs(permissions), actorOf(ctx))),
    }));
  }
}

export const PermissionReferences = referenceFields(Permission, {
  resourceServer: { to: 'ResourceServer', id: (permission) => permission.resourceServerUuid },
});
