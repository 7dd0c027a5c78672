import DataLoader from 'dataloader';
import { DataSource, In, ObjectLiteral, EntityTarget } from 'typeorm';
import { ResourceServerEntity } from '../domain/resource-server/resource-server.entity';
import { ScopeEntity } from '../domain/resource-server/scope.entity';
import { ClientEntity } from '../domain/client/client.entity';
import { ClientGrantEntity } from '../domain/client-grant/client-grant.entity';
import { ClientSecretEntity } from '../domain/client/client-secret.entity';
import { SigningKeyEntity } from '../crypto/signing-key.entity';
import { AuditEventEntity } from '../domain/audit/audit-event.entity';
import { UserEntity } from '../domain/user/user.entity';
import { UserGrantEntity } from '../domain/user-grant/user-grant.entity';
import type { Page, PageRequest } from '../domain/pagination';
import type { Services } from './context';
import type { GrantParent } from '../domain/client-grant/client-grant.service';

/**
 * Batching loaders, created per request so nothing is cached across requests (or tokens).
 * Each turns the N lookups of a nested list into one statement.
 */
export function createLoaders(dataSource: DataSource, services: Services) {
  const byId = <T extends ObjectLiteral & { id: string }>(entity: EntityTarget<T>) =>
    new DataLoader<string, T | null>(async (ids) => {
      const rows = await dataSource.manager.findBy(entity, { id: In([...ids]) } as never);
      const map = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => map.get(id) ?? null);
    });

  const grantPages = new Map<string, DataLoader<string, Page<ClientGrantEntity>>>();
  const grantCounts = new Map<GrantParent, DataLoader<string, number>>();

  return {
    resourceServer: byId<ResourceServerEntity>(ResourceServerEntity),
    client: byId<ClientEntity>(ClientEntity),
    clientGrant: byId<ClientGrantEntity>(ClientGrantEntity),
    signingKey: byId<SigningKeyEntity>(SigningKeyEntity),
    auditEvent: byId<AuditEventEntity>(AuditEventEntity),
    user: byId<UserEntity>(UserEntity),
    userGrant: byId<UserGrantEntity>(UserGrantEntity),
    clientSecrets: new DataLoader<string, ClientSecretEntity[]>(async (ids) => {
      const byClient = await services.clients.secretsOf(ids);
      return ids.map((id) => byClient.get(id) ?? []);
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
