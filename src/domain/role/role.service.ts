import { DataSource, EntityManager } from 'typeorm';
import { DomainError, IssueList, isUniqueViolation } from '../errors';
import { countByParent, keysetPage, keysetPagesThrough, Membership, Page, PageRequest } from '../pagination';
import { checkListSize, checkName, checkText, truncate } from '../validation';
import { withoutNulls } from '../resource-server/resource-server.service';
import { ResourceServerEntity } from '../resource-server/resource-server.entity';
import { UserEntity } from '../user/user.entity';
import type { ChangeFeed } from '../../db/change-feed';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import { RoleEntity, RolePermissionEntity, UserRoleEntity } from './role.entities';
import { isUuid } from '../../lib/uuid';

export const ROLE_NAME_MAX = 200;
export const ROLE_DESCRIPTION_MAX = 500;
/** Permissions one role may hold (and one call may add or remove). */
export const PERMISSIONS_PER_ROLE_MAX = 1000;
/** Roles one user may hold (and one call may assign or remove). */
export const ROLES_PER_USER_MAX = 100;

export interface RoleCreate {
  name: string;
  description?: string | null;
}

export interface RoleUpdate {
  name?: string | null;
  description?: string | null;
}

export interface RoleFilter {
  /** Exact name, whatever its case. */
  name?: string;
}

/** A permission as given to add or remove: a scope of an API (uuid). */
export interface PermissionRef {
  resourceServerId: string;
  scope: string;
}

/** A permission as read: with the API's identifier (its `aud`). */
export interface RolePermission {
  resourceServerId: string;
  resourceServerIdentifier: string;
  scope: string;
}

/**
 * Roles (RBAC): named sets of permissions — scopes defined on APIs — given to users. When an API
 * has `enforcePolicies`, a user's tokens for it carry only the requested scopes the user holds
 * through roles (see oauth/user-policy.ts), evaluated at each issuance: a change applies from the
 * next token or refresh. A permission is removed with its scope or API (foreign key).
 *
 * The Management API's scopes may be permissions: they are what a person signed in to the console
 * may do (its tokens always apply RBAC). The userinfo API's may not: it has none of its own (the
 * OpenID Connect scopes are about the user, never permissions). The built-in Administrator role
 * (domain/management/administrator.ts) keeps its name and every management scope, and is not deleted.
 */
export class RoleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
  ) {}

  /** The distinct scopes of the API (uuid) the user holds across their roles, sorted; [] when none. */
  async permissionsOf(userId: string, resourceServerId: string): Promise<string[]> {
    if (!isUuid(userId) || !isUuid(resourceServerId)) return [];
    const rows: { scope: string }[] = await this.dataSource.query(
      `SELECT DISTINCT rp.scope
         FROM user_roles ur
         JOIN role_permissions rp ON rp.role_id = ur.role_id
        WHERE ur.user_id = $1 AND rp.resource_server_id = $2
        ORDER BY rp.scope`,
      [userId, resourceServerId],
    );
    return rows.map((r) => r.scope);
  }

  async create(input: RoleCreate, actor: Actor): Promise<RoleEntity> {
    const values = { name: (input.name ?? '').trim(), description: input.description ?? '' };
    const issues = new IssueList();
    checkName(issues, ['input', 'name'], values.name, ROLE_NAME_MAX);
    checkText(issues, ['input', 'description'], values.description, ROLE_DESCRIPTION_MAX);
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      if (await this.nameTaken(em, values.name)) throw nameTaken();
      const role = em.create(RoleEntity, values);
      try {
        await em.insert(RoleEntity, role);
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken();
        throw error;
      }
      await this.audit.record(em, actor, { operation: 'roleCreate', ...target(role.id), summary: { ...values } });
      await this.changes.publish(em, 'role', role.id);
      return em.findOneByOrFail(RoleEntity, { id: role.id });
    });
  }

  async update(id: string, input: RoleUpdate, actor: Actor): Promise<RoleEntity> {
    const changes = withoutNulls(input) as { name?: string; description?: string };
    if (changes.name !== undefined) changes.name = changes.name.trim();
    const issues = new IssueList();
    if (changes.name !== undefined) checkName(issues, ['input', 'name'], changes.name, ROLE_NAME_MAX);
    if (changes.description !== undefined) checkText(issues, ['input', 'description'], changes.description, ROLE_DESCRIPTION_MAX);
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      const role = await this.lockOrFail(em, id);
      if (role.builtin !== null && changes.name !== undefined && changes.name !== role.name) {
        throw DomainError.of('SYSTEM_RESOURCE', ['input', 'name'], 'a built-in role cannot be renamed');
      }
      if (changes.name !== undefined && changes.name.toLowerCase() !== role.name.toLowerCase()) {
        if (await this.nameTaken(em, changes.name, id)) throw nameTaken();
      }
      if (Object.keys(changes).length > 0) {
        try {
          await em.update(RoleEntity, { id }, changes);
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken();
          throw error;
        }
      }
      await this.audit.record(em, actor, { operation: 'roleUpdate', ...target(id), summary: { ...changes } });
      await this.changes.publish(em, 'role', id);
      return em.findOneByOrFail(RoleEntity, { id });
    });
  }

  /** Deletes the role; its users lose its permissions from their next token (foreign keys remove the rest). */
  async delete(id: string, actor: Actor): Promise<RoleEntity> {
    return this.dataSource.transaction(async (em) => {
      const role = await this.lockOrFail(em, id);
      if (role.builtin !== null) throw DomainError.of('SYSTEM_RESOURCE', ['id'], 'a built-in role cannot be deleted');
      const users = await em.countBy(UserRoleEntity, { roleId: id });
      const permissions = await em.countBy(RolePermissionEntity, { roleId: id });
      await em.delete(RoleEntity, { id });
      await this.audit.record(em, actor, {
        operation: 'roleDelete',
        ...target(id),
        summary: { name: role.name, users, permissions },
      });
      await this.changes.publish(em, 'role', id);
      return role;
    });
  }

  /**
   * Gives the role permissions: each a scope defined on an API (the Management API's included, not the userinfo API's).
   * Permissions the role already holds, and repeats, are no-ops.
   */
  async addPermissions(id: string, permissions: PermissionRef[], actor: Actor): Promise<RoleEntity> {
    const issues = new IssueList();
    checkListSize(issues, ['permissions'], permissions, PERMISSIONS_PER_ROLE_MAX);
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      await this.lockOrFail(em, id);
      const apis = await this.apisOf(em, permissions);
      // Scopes checked and held (FOR KEY SHARE) until commit: a concurrent removal waits, then cascades.
      const defined = new Set<string>();
      const known = [...apis.values()].map((api) => api.id);
      if (known.length > 0) {
        const rows: { resource_server_id: string; value: string }[] = await em.query(
          `SELECT resource_server_id, value FROM scopes
            WHERE resource_server_id = ANY($1::uuid[]) AND value = ANY($2::text[])
            FOR KEY SHARE`,
          [known, permissions.map((p) => p.scope)],
        );
        for (const row of rows) defined.add(key(row.resource_server_id, row.value));
      }
      permissions.forEach((p, index) => {
        const field = ['permissions', String(index)];
        const api = apis.get(p.resourceServerId);
        if (!api) issues.add('NOT_FOUND', [...field, 'resourceServerId'], 'resource server not found');
        else if (api.builtin === 'USERINFO') {
          issues.add('SYSTEM_RESOURCE', [...field, 'resourceServerId'], 'the userinfo API has no permissions to give');
        } else if (!defined.has(key(api.id, p.scope))) {
          issues.add('INVALID', [...field, 'scope'], `scope "${truncate(p.scope)}" is not defined on this API`);
        }
      });
      issues.throwIfAny();

      const distinct = dedupe(permissions);
      const added: { resource_server_id: string; scope: string }[] = distinct.length
        ? await em.query(
            `INSERT INTO role_permissions (role_id, resource_server_id, scope)
             SELECT $1, p.rs, p.scope FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS p(rs, scope, n)
             ORDER BY p.n
             ON CONFLICT DO NOTHING
             RETURNING resource_server_id, scope`,
            [id, distinct.map((p) => p.resourceServerId), distinct.map((p) => p.scope)],
          )
        : [];
      const total = await em.countBy(RolePermissionEntity, { roleId: id });
      if (total > PERMISSIONS_PER_ROLE_MAX) {
        throw DomainError.of(
          'LIMIT_EXCEEDED',
          ['permissions'],
          `a role can have at most ${PERMISSIONS_PER_ROLE_MAX} permissions (it has ${total - added.length})`,
        );
      }
      if (added.length > 0) await em.update(RoleEntity, { id }, { updatedAt: () => 'now()' });
      await this.audit.record(em, actor, {
        operation: 'rolePermissionsAdd',
        ...target(id),
        summary: { added: added.map((p) => ({ audience: apis.get(p.resource_server_id)?.identifier ?? null, scope: p.scope })) },
      });
      await this.changes.publish(em, 'role', id);
      return em.findOneByOrFail(RoleEntity, { id });
    });
  }

  /** Takes permissions from the role; those it does not hold are no-ops. */
  async removePermissions(id: string, permissions: PermissionRef[], actor: Actor): Promise<RoleEntity> {
    const issues = new IssueList();
    if (checkListSize(issues, ['permissions'], permissions, PERMISSIONS_PER_ROLE_MAX)) {
      permissions.forEach((p, index) => {
        if (!isUuid(p.resourceServerId)) {
          issues.add('NOT_FOUND', ['permissions', String(index), 'resourceServerId'], 'resource server not found');
        }
      });
    }
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      const role = await this.lockOrFail(em, id);
      if (role.builtin === 'ADMINISTRATOR') {
        const managementApi = await em.findOneByOrFail(ResourceServerEntity, { builtin: 'MANAGEMENT' });
        permissions.forEach((p, index) => {
          if (p.resourceServerId.toLowerCase() === managementApi.id) {
            issues.add('SYSTEM_RESOURCE', ['permissions', String(index)], 'the Administrator role keeps every management scope');
          }
        });
        issues.throwIfAny();
      }
      const distinct = dedupe(permissions);
      const removed: { resource_server_id: string; scope: string }[] = distinct.length
        ? (
            await em.query(
              `DELETE FROM role_permissions rp
                USING unnest($2::uuid[], $3::text[]) AS p(rs, scope)
                WHERE rp.role_id = $1 AND rp.resource_server_id = p.rs AND rp.scope = p.scope
                RETURNING rp.resource_server_id, rp.scope`,
              [id, distinct.map((p) => p.resourceServerId), distinct.map((p) => p.scope)],
            )
          )[0]
        : [];
      const apis = await this.apisOf(
        em,
        removed.map((r) => ({ resourceServerId: r.resource_server_id, scope: r.scope })),
      );
      if (removed.length > 0) await em.update(RoleEntity, { id }, { updatedAt: () => 'now()' });
      await this.audit.record(em, actor, {
        operation: 'rolePermissionsRemove',
        ...target(id),
        summary: { removed: removed.map((p) => ({ audience: apis.get(p.resource_server_id)?.identifier ?? null, scope: p.scope })) },
      });
      await this.changes.publish(em, 'role', id);
      return em.findOneByOrFail(RoleEntity, { id });
    });
  }

  /** Gives the user roles (by uuid); roles already held are no-ops. */
  async assignToUser(userId: string, roleIds: string[], actor: Actor): Promise<UserEntity> {
    return this.changeUserRoles('userRolesAssign', userId, roleIds, actor);
  }

  /** Takes roles (by uuid) from the user; roles not held are no-ops. */
  async removeFromUser(userId: string, roleIds: string[], actor: Actor): Promise<UserEntity> {
    return this.changeUserRoles('userRolesRemove', userId, roleIds, actor);
  }

  private async changeUserRoles(
    operation: 'userRolesAssign' | 'userRolesRemove',
    userId: string,
    roleIds: string[],
    actor: Actor,
  ): Promise<UserEntity> {
    const issues = new IssueList();
    checkListSize(issues, ['roleIds'], roleIds, ROLES_PER_USER_MAX);
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      const user = isUuid(userId) ? await em.findOne(UserEntity, { where: { id: userId }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!user) throw DomainError.notFound(['id'], 'user');
      const valid = [...new Set(roleIds.filter((r) => isUuid(r)))];
      // Held (FOR KEY SHARE) until commit: a concurrent delete of one of them waits, then cascades.
      const found: { id: string; name: string }[] = valid.length
        ? await em.query(`SELECT id, name FROM roles WHERE id = ANY($1::uuid[]) FOR KEY SHARE`, [valid])
        : [];
      const names = new Map(found.map((r) => [r.id, r.name]));
      roleIds.forEach((roleId, index) => {
        if (!names.has(roleId)) issues.add('NOT_FOUND', ['roleIds', String(index)], 'role not found');
      });
      issues.throwIfAny();
      const ids = [...names.keys()];
      let changed: { role_id: string }[] = [];
      if (ids.length > 0 && operation === 'userRolesAssign') {
        changed = await em.query(
          `INSERT INTO user_roles (user_id, role_id)
           SELECT $1, r FROM unnest($2::uuid[]) WITH ORDINALITY AS t(r, n) ORDER BY t.n
           ON CONFLICT DO NOTHING RETURNING role_id`,
          [userId, roleIds.filter((r, i) => roleIds.indexOf(r) === i)],
        );
        const total = await em.countBy(UserRoleEntity, { userId });
        if (total > ROLES_PER_USER_MAX) {
          throw DomainError.of(
            'LIMIT_EXCEEDED',
            ['roleIds'],
            `a user can have at most ${ROLES_PER_USER_MAX} roles (they have ${total - changed.length})`,
          );
        }
      } else if (ids.length > 0) {
        changed = (
          await em.query(`DELETE FROM user_roles WHERE user_id = $1 AND role_id = ANY($2::uuid[]) RETURNING role_id`, [userId, ids])
        )[0];
      }
      const roles = changed.map((r) => ({ id: r.role_id, name: names.get(r.role_id) ?? null }));
      await this.audit.record(em, actor, {
        operation,
        targetType: 'User',
        targetId: userId,
        summary: operation === 'userRolesAssign' ? { assigned: roles } : { removed: roles },
      });
      await this.changes.publish(em, 'user', userId);
      return user;
    });
  }

  findById(id: string): Promise<RoleEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.dataSource.manager.findOneBy(RoleEntity, { id });
  }

  list(page: PageRequest, filter: RoleFilter = {}): Promise<Page<RoleEntity>> {
    return keysetPage(this.filtered(filter), page);
  }

  count(filter: RoleFilter = {}): Promise<number> {
    return this.filtered(filter).getCount();
  }

  /** The permissions of many roles in one statement, in the order they were added. */
  async permissionsOfRoles(roleIds: readonly string[]): Promise<Map<string, RolePermission[]>> {
    const rows: { role_id: string; resource_server_id: string; identifier: string; scope: string }[] = await this.dataSource.query(
      `SELECT rp.role_id, rp.resource_server_id, rs.identifier, rp.scope
         FROM role_permissions rp JOIN resource_servers rs ON rs.id = rp.resource_server_id
        WHERE rp.role_id = ANY($1::uuid[])
        ORDER BY rp.seq`,
      [roleIds],
    );
    const byRole = new Map<string, RolePermission[]>(roleIds.map((id) => [id, []]));
    for (const row of rows) byRole.get(row.role_id)?.push(permission(row));
    return byRole;
  }

  /** Each user's effective permissions across their roles, distinct, by API identifier then scope. */
  async effectivePermissionsOf(userIds: readonly string[]): Promise<Map<string, RolePermission[]>> {
    const rows: { user_id: string; resource_server_id: string; identifier: string; scope: string }[] = await this.dataSource.query(
      `SELECT DISTINCT ur.user_id, rp.resource_server_id, rs.identifier, rp.scope
         FROM user_roles ur
         JOIN role_permissions rp ON rp.role_id = ur.role_id
         JOIN resource_servers rs ON rs.id = rp.resource_server_id
        WHERE ur.user_id = ANY($1::uuid[])
        ORDER BY rs.identifier, rp.scope`,
      [userIds],
    );
    const byUser = new Map<string, RolePermission[]>(userIds.map((id) => [id, []]));
    for (const row of rows) byUser.get(row.user_id)?.push(permission(row));
    return byUser;
  }

  /** One page of roles per user (in the order they were assigned), in one statement. */
  rolesOf(userIds: readonly string[], page: PageRequest): Promise<Map<string, Page<Membership<RoleEntity>>>> {
    return keysetPagesThrough(
      this.dataSource,
      { entity: UserRoleEntity, parentColumn: 'user_id', childColumn: 'role_id' },
      RoleEntity,
      userIds,
      page,
    );
  }

  /** One page of users per role (in the order they were given it), in one statement. */
  usersOf(roleIds: readonly string[], page: PageRequest): Promise<Map<string, Page<Membership<UserEntity>>>> {
    return keysetPagesThrough(
      this.dataSource,
      { entity: UserRoleEntity, parentColumn: 'role_id', childColumn: 'user_id' },
      UserEntity,
      roleIds,
      page,
    );
  }

  /** How many roles each user holds, or users each role has (by the parent column). */
  membershipCounts(parent: 'user_id' | 'role_id', ids: readonly string[]): Promise<Map<string, number>> {
    return countByParent(this.dataSource, 'user_roles', parent, ids);
  }

  private filtered(filter: RoleFilter) {
    const qb = this.dataSource.manager.createQueryBuilder(RoleEntity, 'r');
    if (filter.name !== undefined) qb.andWhere('lower(r.name) = lower(:name)', { name: filter.name.trim() });
    return qb;
  }

  /** The APIs named by the permissions (unknown or malformed ids are simply absent). */
  private async apisOf(em: EntityManager, permissions: PermissionRef[]): Promise<Map<string, ResourceServerEntity>> {
    const ids = [...new Set(permissions.map((p) => p.resourceServerId).filter((id) => isUuid(id)))];
    if (ids.length === 0) return new Map();
    const servers = await em.createQueryBuilder(ResourceServerEntity, 'rs').where('rs.id = ANY(:ids::uuid[])', { ids }).getMany();
    return new Map(servers.map((s) => [s.id, s]));
  }

  private async nameTaken(em: EntityManager, name: string, exceptId?: string): Promise<boolean> {
    const qb = em.createQueryBuilder(RoleEntity, 'r').where('lower(r.name) = lower(:name)', { name });
    if (exceptId) qb.andWhere('r.id <> :exceptId', { exceptId });
    return (await qb.getCount()) > 0;
  }

  private async lockOrFail(em: EntityManager, id: string): Promise<RoleEntity> {
    const role = isUuid(id) ? await em.findOne(RoleEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!role) throw DomainError.notFound(['id'], 'role');
    return role;
  }
}

function target(id: string) {
  return { targetType: 'Role', targetId: id };
}

function nameTaken(): DomainError {
  return DomainError.of('TAKEN', ['input', 'name'], 'a role with this name already exists');
}

function key(resourceServerId: string, scope: string): string {
  return `${resourceServerId.toLowerCase()}\u0000${scope}`;
}

function dedupe(permissions: PermissionRef[]): PermissionRef[] {
  const seen = new Set<string>();
  return permissions.filter((p) => {
    const k = key(p.resourceServerId, p.scope);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function permission(row: { resource_server_id: string; identifier: string; scope: string }): RolePermission {
  return { resourceServerId: row.resource_server_id, resourceServerIdentifier: row.identifier, scope: row.scope };
}
