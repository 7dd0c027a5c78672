import { DataSource, EntityManager, In } from 'typeorm';
import { DomainError, IssueList, isUniqueViolation } from '../errors';
import { checkListSize, checkNoDuplicates } from '../validation';
import { countByParent, keysetPage, keysetPagesByParent, Page, PageRequest } from '../pagination';
import { grantChangeId, type ChangeFeed } from '../../db/change-feed';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import { ClientEntity } from '../client/client.entity';
import { mayHoldClientGrants } from '../client/client.rules';
import { ResourceServerEntity } from '../resource-server/resource-server.entity';
import { ScopeEntity } from '../resource-server/scope.entity';
import { SCOPES_PER_SERVER_MAX } from '../resource-server/resource-server.rules';
import { ClientGrantEntity } from './client-grant.entity';
import type { Clock } from '../../lib/clock';

export interface ClientGrantFilter {
  clientUuid?: string;
  resourceServerId?: string;
}

export type GrantParent = 'client_id' | 'resource_server_id';

export class ClientGrantService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async create(input: { clientUuid: string; resourceServerId: string; scopes: string[] }, actor: Actor): Promise<ClientGrantEntity> {
    const issues = new IssueList();
    checkScopeList(issues, ['input', 'scopes'], input.scopes);
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      // Shared locks: a concurrent client update or scope removal waits for this grant, and vice versa.
      const client = await em.findOne(ClientEntity, { where: { id: input.clientUuid }, lock: { mode: 'pessimistic_read' } });
      if (!client) issues.add('NOT_FOUND', ['input', 'clientId'], 'client not found');
      const server = await em.findOne(ResourceServerEntity, {
        where: { id: input.resourceServerId },
        lock: { mode: 'pessimistic_read' },
      });
      if (!server) issues.add('NOT_FOUND', ['input', 'resourceServerId'], 'resource server not found');
      issues.throwIfAny();
      if (!mayHoldClientGrants(client!.grantTypes)) {
        issues.add('INVALID', ['input', 'clientId'], 'only clients allowed CLIENT_CREDENTIALS or TOKEN_EXCHANGE can hold a client grant');
      }
      await checkScopesExist(em, issues, input.resourceServerId, input.scopes);
      issues.throwIfAny();
      if (await em.existsBy(ClientGrantEntity, { clientUuid: input.clientUuid, resourceServerId: input.resourceServerId })) {
        throw grantTaken();
      }
      const grant = em.create(ClientGrantEntity, input);
      try {
        await em.insert(ClientGrantEntity, grant);
      } catch (error) {
        if (isUniqueViolation(error)) throw grantTaken();
        throw error;
      }
      await this.audit.record(em, actor, {
        operation: 'clientGrantCreate',
        ...target(grant.id),
        summary: { clientId: client!.clientId, audience: server!.identifier, scopes: input.scopes },
      });
      await this.changes.publish(em, 'client_grant', grantChangeId(grant.clientUuid, grant.resourceServerId));
      return em.findOneByOrFail(ClientGrantEntity, { id: grant.id });
    });
  }

  async update(id: string, input: { scopes?: string[] | null }, actor: Actor): Promise<ClientGrantEntity> {
    return this.dataSource.transaction(async (em) => {
      const grant = await em.findOne(ClientGrantEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!grant) throw DomainError.notFound(['id'], 'client grant');
      if (input.scopes == null) return grant;
      const issues = new IssueList();
      checkScopeList(issues, ['input', 'scopes'], input.scopes);
      issues.throwIfAny();
      await em.findOne(ResourceServerEntity, { where: { id: grant.resourceServerId }, lock: { mode: 'pessimistic_read' } });
      await checkScopesExist(em, issues, grant.resourceServerId, input.scopes);
      issues.throwIfAny();
      await em.update(ClientGrantEntity, { id }, { scopes: input.scopes });
      await this.audit.record(em, actor, {
        operation: 'clientGrantUpdate',
        ...target(id),
        summary: { scopes: input.scopes, previousScopes: grant.scopes },
      });
      await this.changes.publish(em, 'client_grant', grantChangeId(grant.clientUuid, grant.resourceServerId));
      return em.findOneByOrFail(ClientGrantEntity, { id });
    });
  }

  /**
   * Removes the grant: no new tokens from now on. With `revokeIssuedTokens`, the tokens already
   * issued under it are refused too, without storing any of them: a (client, API) watermark
   * rejects every token issued before this moment.
   */
  async delete(id: string, input: { revokeIssuedTokens?: boolean | null }, actor: Actor): Promise<ClientGrantEntity> {
    return this.dataSource.transaction(async (em) => {
      const grant = await em.findOne(ClientGrantEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!grant) throw DomainError.notFound(['id'], 'client grant');
      const client = await em.findOneByOrFail(ClientEntity, { id: grant.clientUuid });
      const server = await em.findOneByOrFail(ResourceServerEntity, { id: grant.resourceServerId });
      await em.delete(ClientGrantEntity, { id });
      const revokeIssuedTokens = input.revokeIssuedTokens ?? false;
      if (revokeIssuedTokens) {
        // The service clock (which stamps iat) read after the grant is deleted: tokens issued while
        // this transaction ran are older than the watermark.
        await em.query(
          `INSERT INTO token_watermarks (client_id, resource_server_id, not_before) VALUES ($1, $2, $3)
           ON CONFLICT (client_id, resource_server_id) DO UPDATE SET not_before = EXCLUDED.not_before`,
          [client.clientId, grant.resourceServerId, this.clock.now()],
        );
      }
      await this.audit.record(em, actor, {
        operation: 'clientGrantDelete',
        ...target(id),
        summary: { clientId: client.clientId, audience: server.identifier, scopes: grant.scopes, revokeIssuedTokens },
      });
      await this.changes.publish(em, 'client_grant', grantChangeId(grant.clientUuid, grant.resourceServerId));
      return grant;
    });
  }

  list(page: PageRequest, filter: ClientGrantFilter = {}): Promise<Page<ClientGrantEntity>> {
    const qb = this.dataSource.manager.createQueryBuilder(ClientGrantEntity, 'g');
    if (filter.clientUuid) qb.andWhere('g.client_id = :clientUuid', { clientUuid: filter.clientUuid });
    if (filter.resourceServerId) qb.andWhere('g.resource_server_id = :rs', { rs: filter.resourceServerId });
    return keysetPage(qb, page);
  }

  count(filter: ClientGrantFilter = {}): Promise<number> {
    const where: Record<string, string> = {};
    if (filter.clientUuid) where.clientUuid = filter.clientUuid;
    if (filter.resourceServerId) where.resourceServerId = filter.resourceServerId;
    return this.dataSource.manager.countBy(ClientGrantEntity, where);
  }

  /** One page of grants for each of many clients or servers, in one statement. */
  pagesByParent(parent: GrantParent, ids: readonly string[], page: PageRequest): Promise<Map<string, Page<ClientGrantEntity>>> {
    return keysetPagesByParent(this.dataSource, ClientGrantEntity, parent, ids, page);
  }

  countsByParent(parent: GrantParent, ids: readonly string[]): Promise<Map<string, number>> {
    return countByParent(this.dataSource, 'client_grants', parent, ids);
  }
}

function target(id: string) {
  return { targetType: 'ClientGrant', targetId: id };
}

function grantTaken(): DomainError {
  return DomainError.of('TAKEN', ['input', 'resourceServerId'], 'this client already has a grant for this API');
}

function checkScopeList(issues: IssueList, field: string[], scopes: string[]): void {
  if (checkListSize(issues, field, scopes, SCOPES_PER_SERVER_MAX)) checkNoDuplicates(issues, field, scopes);
}

async function checkScopesExist(em: EntityManager, issues: IssueList, serverId: string, scopes: string[]): Promise<void> {
  if (scopes.length === 0) return;
  const defined = await em.find(ScopeEntity, { where: { resourceServerId: serverId, value: In(scopes) }, select: { value: true } });
  const known = new Set(defined.map((s) => s.value));
  scopes.forEach((scope, index) => {
    if (!known.has(scope)) {
      issues.add('INVALID', ['input', 'scopes', String(index)], `scope "${scope}" is not defined on this API`);
    }
  });
}
