import DataLoader from 'dataloader';
import type { ObjectLiteral } from 'typeorm';
import type { EntityLookup } from '../domain/entity-lookup';
import { ScopeEntity } from '../domain/resource-server/scope.entity';
import { ClientGrantEntity } from '../domain/client-grant/client-grant.entity';
import { ClientSecretEntity } from '../domain/client/client-secret.entity';
import { UserEntity } from '../domain/user/user.entity';
import { RoleEntity } from '../domain/role/role.entities';
import type { RolePermission } from '../domain/role/role.service';
import type { Membership, Page, PageRequest } from '../domain/pagination';
import type { Services } from './context';
import type { GrantParent } from '../domain/client-grant/client-grant.service';
import type { TokenHookEntity } from '../domain/token-hook/token-hook.entity';

/** An entity class (the loaders key on it). */
export type EntityClass<T> = new () => T;

/**
 * Batching loaders, created per request so nothing is cached across requests (or tokens).
 * Each turns the N lookups of a nested list into one statement.
 */
export function createLoaders(lookup: EntityLookup, services: Services) {
  const byId = <T extends ObjectLiteral & { id: string }>(entity: EntityClass<T>) =>
    new DataLoader<string, T | null>(async (ids) => {
      const rows = await lookup.byIds(entity, ids);
      const map = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => map.get(id) ?? null);
    });

  const byIdLoaders = new Map<EntityClass<ObjectLiteral & { id: string }>, DataLoader<string, unknown>>();
  const grantPages = new Map<string, DataLoader<string, Page<ClientGrantEntity>>>();
  const grantCounts = new Map<GrantParent, DataLoader<string, number>>();
  const userRolePages = new Map<string, DataLoader<string, Page<Membership<RoleEntity>>>>();
  const roleUserPages = new Map<string, DataLoader<string, Page<Membership<UserEntity>>>>();
  const membershipCounts = new Map<string, DataLoader<string, number>>();
  const pageKey = (page: PageRequest) => `${page.limit}|${page.backward}|${page.afterSeq ?? ''}|${page.beforeSeq ?? ''}`;

  return {
    /** Rows of an entity by id, one loader per entity per request (Node types load through it: see the node registry). */
    byId<T extends ObjectLiteral & { id: string }>(entity: EntityClass<T>): DataLoader<string, T | null> {
      let loader = byIdLoaders.get(entity);
      if (!loader) {
        loader = byId(entity);
        byIdLoaders.set(entity, loader);
      }
      return loader as DataLoader<string, T | null>;
    },
    /** Each role's permissions. */
    rolePermissions: new DataLoader<string, RolePermission[]>(async (ids) => {
      const byRole = await services.roles.permissionsOfRoles(ids);
      return ids.map((id) => byRole.get(id) ?? []);
    }),
    /** Each user's effective permissions across their roles. */
    userPermissions: new DataLoader<string, RolePermission[]>(async (ids) => {
      const byUser = await services.roles.effectivePermissionsOf(ids);
      return ids.map((id) => byUser.get(id) ?? []);
    }),
    /** Pages of roles under many users; one loader per distinct page arguments. */
    userRolePage(page: PageRequest): DataLoader<string, Page<Membership<RoleEntity>>> {
      const key = pageKey(page);
      let loader = userRolePages.get(key);
      if (!loader) {
        loader = new DataLoader(async (ids) => {
          const pages = await services.roles.rolesOf(ids, page);
          return ids.map((id) => pages.get(id)!);
        });
        userRolePages.set(key, loader);
      }
      return loader;
    },
    /** Pages of users under many roles; one loader per distinct page arguments. */
    roleUserPage(page: PageRequest): DataLoader<string, Page<Membership<UserEntity>>> {
      const key = pageKey(page);
      let loader = roleUserPages.get(key);
      if (!loader) {
        loader = new DataLoader(async (ids) => {
          const pages = await services.roles.usersOf(ids, page);
          return ids.map((id) => pages.get(id)!);
        });
        roleUserPages.set(key, loader);
      }
      return loader;
    },
    /** Roles per user (`user_id`) or users per role (`role_id`). */
    roleMembershipCount(parent: 'user_id' | 'role_id'): DataLoader<string, number> {
      let loader = membershipCounts.get(parent);
      if (!loader) {
        loader = new DataLoader(async (ids) => {
          const counts = await services.roles.membershipCounts(parent, ids);
          return ids.map((id) => counts.get(id) ?? 0);
        });
        membershipCounts.set(parent, loader);
      }
      return loader;
    },
    clientSecrets: new DataLoader<string, ClientSecretEntity[]>(async (ids) => {
      const byClient = await services.clients.secretsOf(ids);
      return ids.map((id) => byClient.get(id) ?? []);
    }),
    /** Each API's token hook (secret sealed), or null. */
    tokenHook: new DataLoader<string, TokenHookEntity | null>(async (ids) => {
      const byServer = await services.tokenHooks.hooksOf(ids);
      return ids.map((id) => byServer.get(id) ?? null);
    }),
    scopes: new DataLoader<string, ScopeEntity[]>(async (ids) => {
      const byServer = await services.resourceServers.scopesOf(ids);
      return ids.map((id) => byServer.get(id) ?? []);
    }),
    /** Pages of grants under many parents; one loader per distinct page arguments. */
    clientGrantPage(parent: GrantParent, page: PageRequest): DataLoader<string, Page<ClientGrantEntity>> {
      const key = `${parent}|${page.limit}|${page.backward}|${page.afterSeq ?? ''}|${page.beforeSeq ?? ''}`;
      let loader = grantPages.get(key);
      if (!loader) {
        loader = new DataLoader(async (ids) => {
          const pages = await services.clientGrants.pagesByParent(parent, ids, page);
          return ids.map((id) => pages.get(id)!);
        });
        grantPages.set(key, loader);
      }
      return loader;
    },
    clientGrantCount(parent: GrantParent): DataLoader<string, number> {
      let loader = grantCounts.get(parent);
      if (!loader) {
        loader = new DataLoader(async (ids) => {
          const counts = await services.clientGrants.countsByParent(parent, ids);
          return ids.map((id) => counts.get(id) ?? 0);
        });
        grantCounts.set(parent, loader);
      }
      return loader;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
