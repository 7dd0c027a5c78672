import { DataSource, EntityManager, In } from 'typeorm';
import { DomainError, IssueList, isUniqueViolation } from '../errors';
import { checkName, rotationGrace } from '../validation';
import { keysetPage, Page, PageRequest } from '../pagination';
import { ResourceServerEntity } from './resource-server.entity';
import { ScopeEntity } from './scope.entity';
import { ClientGrantEntity } from '../client-grant/client-grant.entity';
import {
  checkEnum,
  checkIdentifier,
  checkLifetimes,
  checkScopeDrafts,
  RESOURCE_SERVER_DEFAULTS,
  SCOPES_PER_SERVER_MAX,
  ScopeDraft,
  SIGNING_ALGORITHMS,
  SigningAlgorithm,
  SYSTEM_MUTABLE_FIELDS,
  TOKEN_DIALECTS,
  TokenDialect,
  PROOF_OF_POSSESSION,
  ProofOfPossession,
} from './resource-server.rules';
import type { ChangeFeed } from '../../db/change-feed';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import type { Clock } from '../../lib/clock';

export interface ResourceServerCreate {
  name: string;
  identifier: string;
  signingAlgorithm?: SigningAlgorithm | null;
  tokenLifetime?: number | null;
  tokenLifetimeForWeb?: number | null;
  allowSkippingUserConsent?: boolean | null;
  allowOfflineAccess?: boolean | null;
  enforcePolicies?: boolean | null;
  tokenDialect?: TokenDialect | null;
  proofOfPossession?: ProofOfPossession | null;
  scopes?: ScopeDraft[] | null;
}

export type ResourceServerUpdate = { [K in keyof Omit<ResourceServerCreate, 'scopes'>]?: ResourceServerCreate[K] | null };

/** Fields accepted by update that may never change once set. */
const IMMUTABLE_FIELDS = ['identifier', 'signingAlgorithm'] as const;

/**
 * Hooks other parts of the system attach to resource-server writes, run inside the same
 * transaction (the key ring uses `afterCreate` to give an HS256 API its signing secret).
 */
export interface ResourceServerHooks {
  afterCreate?(em: EntityManager, server: ResourceServerEntity): Promise<Record<string, unknown>>;
  /** Replaces an HS256 API's signing secret; the old one verifies until `previousExpiresAt`. */
  rotateSigningSecret?(em: EntityManager, server: ResourceServerEntity, previousExpiresAt: Date | null): Promise<string>;
}

export class ResourceServerService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly hooks: ResourceServerHooks = {},
  ) {}

  async create(input: ResourceServerCreate, actor: Actor): Promise<{ server: ResourceServerEntity; extras: Record<string, unknown> }> {
    const issues = new IssueList();
    const field = (name: string) => ['input', name];
    checkName(issues, field('name'), input.name);
    checkIdentifier(issues, field('identifier'), input.identifier);
    const values = { ...RESOURCE_SERVER_DEFAULTS, ...withoutNulls(input) };
    // A short-lived API gets a web lifetime that fits it rather than an error about a default.
    if (input.tokenLifetimeForWeb == null) {
      values.tokenLifetimeForWeb = Math.min(RESOURCE_SERVER_DEFAULTS.tokenLifetimeForWeb, values.tokenLifetime);
    }
    checkEnum(issues, field('signingAlgorithm'), values.signingAlgorithm, SIGNING_ALGORITHMS);
    checkEnum(issues, field('tokenDialect'), values.tokenDialect, TOKEN_DIALECTS);
    checkEnum(issues, field('proofOfPossession'), values.proofOfPossession, PROOF_OF_POSSESSION);
    checkLifetimes(
      issues,
      { tokenLifetime: field('tokenLifetime'), tokenLifetimeForWeb: field('tokenLifetimeForWeb') },
      values.tokenLifetime,
      values.tokenLifetimeForWeb,
    );
    const scopes = input.scopes ?? [];
    checkScopeDrafts(issues, field('scopes'), scopes);
    issues.throwIfAny();

    return this.dataSource.transaction(async (em) => {
      if (await em.existsBy(ResourceServerEntity, { identifier: input.identifier })) {
        throw identifierTaken();
      }
      const server = em.create(ResourceServerEntity, {
        name: values.name,
        identifier: values.identifier,
        signingAlgorithm: values.signingAlgorithm,
        tokenLifetime: values.tokenLifetime,
        tokenLifetimeForWeb: values.tokenLifetimeForWeb,
        allowSkippingUserConsent: values.allowSkippingUserConsent,
        allowOfflineAccess: values.allowOfflineAccess,
        enforcePolicies: values.enforcePolicies,
        tokenDialect: values.tokenDialect,
        proofOfPossession: values.proofOfPossession,
        isSystem: false,
      });
      try {
        await em.insert(ResourceServerEntity, server);
      } catch (error) {
        if (isUniqueViolation(error)) throw identifierTaken();
        throw error;
      }
      if (scopes.length > 0) {
        await em.insert(
          ScopeEntity,
          scopes.map((s) => ({ resourceServerId: server.id, value: s.value, description: s.description ?? '' })),
        );
      }
      const extras = (await this.hooks.afterCreate?.(em, server)) ?? {};
      await this.audit.record(em, actor, { operation: 'resourceServerCreate', ...target(server.id), summary: { ...input } });
      await this.changes.publish(em, 'resource_server', server.id);
      return { server: await em.findOneByOrFail(ResourceServerEntity, { id: server.id }), extras };
    });
  }

  async update(id: string, input: ResourceServerUpdate, actor: Actor): Promise<ResourceServerEntity> {
    return this.dataSource.transaction(async (em) => {
      const server = await this.lockOrFail(em, id);
      const issues = new IssueList();
      const field = (name: string) => ['input', name];
      const changes = withoutNulls(input);

      for (const name of IMMUTABLE_FIELDS) {
        if (changes[name] !== undefined && changes[name] !== server[name]) {
          issues.add('IMMUTABLE', field(name), `${name} cannot be changed after creation`);
        }
      }
      if (server.isSystem) {
        for (const name of Object.keys(changes) as (keyof ResourceServerUpdate)[]) {
          const mutable = (SYSTEM_MUTABLE_FIELDS as readonly string[]).includes(name);
          if (!mutable && !(IMMUTABLE_FIELDS as readonly string[]).includes(name) && changes[name] !== server[name]) {
            issues.add('SYSTEM_RESOURCE', field(name), `${name} of a system API cannot be changed`);
          }
        }
      }
      if (changes.name !== undefined) checkName(issues, field('name'), changes.name);
      if (changes.tokenDialect !== undefined) {
        checkEnum(issues, field('tokenDialect'), changes.tokenDialect, TOKEN_DIALECTS);
      }
      if (changes.proofOfPossession !== undefined) {
        checkEnum(issues, field('proofOfPossession'), changes.proofOfPossession, PROOF_OF_POSSESSION);
      }
      const next = { ...server, ...changes };
      if (changes.tokenLifetime !== undefined || changes.tokenLifetimeForWeb !== undefined) {
        checkLifetimes(
          issues,
          {
            tokenLifetime: field('tokenLifetime'),
            tokenLifetimeForWeb: field(changes.tokenLifetimeForWeb !== undefined ? 'tokenLifetimeForWeb' : 'tokenLifetime'),
          },
          next.tokenLifetime,
          next.tokenLifetimeForWeb,
        );
      }
      issues.throwIfAny();

      const { identifier: _i, signingAlgorithm: _s, ...writable } = changes;
      if (Object.keys(writable).length > 0) {
        await em.update(ResourceServerEntity, { id }, writable);
        await this.changes.publish(em, 'resource_server', id);
      }
      await this.audit.record(em, actor, { operation: 'resourceServerUpdate', ...target(id), summary: { ...changes } });
      return em.findOneByOrFail(ResourceServerEntity, { id });
    });
  }

  /** Deletes the API with its scopes and client grants (foreign keys cascade in this transaction). */
  async delete(id: string, actor: Actor): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      const server = await this.lockOrFail(em, id);
      if (server.isSystem) {
        throw DomainError.of('SYSTEM_RESOURCE', ['id'], 'a system API cannot be deleted');
      }
      await em.delete(ResourceServerEntity, { id });
      await this.audit.record(em, actor, {
        operation: 'resourceServerDelete',
        ...target(id),
        summary: { name: server.name, identifier: server.identifier },
      });
      await this.changes.publish(em, 'resource_server', id);
    });
  }

  async addScopes(id: string, scopes: ScopeDraft[], actor: Actor): Promise<ResourceServerEntity> {
    const issues = new IssueList();
    checkScopeDrafts(issues, ['scopes'], scopes);
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      const server = await this.lockOrFail(em, id);
      if (server.isSystem) throw systemScopes();
      const existing = await em.find(ScopeEntity, {
        where: { resourceServerId: id, value: In(scopes.map((s) => s.value)) },
      });
      const taken = new Set(existing.map((s) => s.value));
      scopes.forEach((scope, index) => {
        if (taken.has(scope.value)) {
          issues.add('TAKEN', ['scopes', String(index), 'value'], `scope "${scope.value}" already exists on this API`);
        }
      });
      issues.throwIfAny();
      const count = await em.countBy(ScopeEntity, { resourceServerId: id });
      if (count + scopes.length > SCOPES_PER_SERVER_MAX) {
        throw DomainError.of('LIMIT_EXCEEDED', ['scopes'], `an API can have at most ${SCOPES_PER_SERVER_MAX} scopes (it has ${count})`);
      }
      if (scopes.length > 0) {
        await em.insert(
          ScopeEntity,
          scopes.map((s) => ({ resourceServerId: id, value: s.value, description: s.description ?? '' })),
        );
        await em.update(ResourceServerEntity, { id }, { updatedAt: () => 'now()' });
        await this.changes.publish(em, 'resource_server', id);
      }
      await this.audit.record(em, actor, { operation: 'resourceServerScopesAdd', ...target(id), summary: { scopes } });
      return em.findOneByOrFail(ResourceServerEntity, { id });
    });
  }

  /** Removes scopes from the API and from every client grant that held them, atomically. */
  async removeScopes(id: string, values: string[], actor: Actor): Promise<ResourceServerEntity> {
    const issues = new IssueList();
    if (values.length > SCOPES_PER_SERVER_MAX) {
      issues.add('LIMIT_EXCEEDED', ['values'], `must have at most ${SCOPES_PER_SERVER_MAX} entries`);
    }
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      const server = await this.lockOrFail(em, id);
      if (server.isSystem) throw systemScopes();
      const existing = await em.find(ScopeEntity, { where: { resourceServerId: id, value: In(values) } });
      const known = new Set(existing.map((s) => s.value));
      values.forEach((value, index) => {
        if (!known.has(value)) issues.add('NOT_FOUND', ['values', String(index)], `scope "${value}" is not defined on this API`);
      });
      issues.throwIfAny();
      if (values.length > 0) {
        await em.delete(ScopeEntity, { resourceServerId: id, value: In(values) });
        await em
          .createQueryBuilder()
          .update(ClientGrantEntity)
          .set({
            scopes: () => `ARRAY(SELECT s FROM unnest(scopes) AS s WHERE NOT (s = ANY(:removed)))`,
            updatedAt: () => 'now()',
          })
          .where('resource_server_id = :id AND scopes && :removed', { id, removed: values })
          .execute();
        await em.update(ResourceServerEntity, { id }, { updatedAt: () => 'now()' });
        await this.changes.publish(em, 'resource_server', id);
      }
      await this.audit.record(em, actor, { operation: 'resourceServerScopesRemove', ...target(id), summary: { values } });
      return em.findOneByOrFail(ResourceServerEntity, { id });
    });
  }

  /**
   * Gives an HS256 API a new signing secret (returned once). Tokens signed with the previous one
   * stay verifiable for `previousSecretExpiresIn` seconds (0: never again).
   */
  async rotateSigningSecret(
    id: string,
    input: { previousSecretExpiresIn?: number | null },
    actor: Actor,
  ): Promise<{ server: ResourceServerEntity; signingSecret: string }> {
    const grace = rotationGrace(input, this.clock.now());
    return this.dataSource.transaction(async (em) => {
      const server = await this.lockOrFail(em, id);
      if (server.signingAlgorithm !== 'HS256' || !this.hooks.rotateSigningSecret) {
        throw DomainError.of(
          'INVALID',
          ['id'],
          `only HS256 APIs have a signing secret; ${server.signingAlgorithm} APIs use the key ring (signingKeyRotate)`,
        );
      }
      const { previousExpiresAt } = grace;
      const signingSecret = await this.hooks.rotateSigningSecret(em, server, previousExpiresAt);
      await em.update(ResourceServerEntity, { id }, { updatedAt: () => 'now()' });
      await this.audit.record(em, actor, {
        operation: 'resourceServerSigningSecretRotate',
        ...target(id),
        summary: { gracePeriodSeconds: grace.seconds, previousExpiresAt },
      });
      await this.changes.publish(em, 'resource_server', id);
      return { server: await em.findOneByOrFail(ResourceServerEntity, { id }), signingSecret };
    });
  }

  findByIdentifier(identifier: string): Promise<ResourceServerEntity | null> {
    return this.dataSource.manager.findOneBy(ResourceServerEntity, { identifier });
  }

  list(page: PageRequest): Promise<Page<ResourceServerEntity>> {
    return keysetPage(this.dataSource.manager.createQueryBuilder(ResourceServerEntity, 'rs'), page);
  }

  count(): Promise<number> {
    return this.dataSource.manager.count(ResourceServerEntity);
  }

  /** Scopes of many servers in one statement, in the order they were added. */
  async scopesOf(ids: readonly string[]): Promise<Map<string, ScopeEntity[]>> {
    const scopes = await this.dataSource.manager.find(ScopeEntity, {
      where: { resourceServerId: In([...ids]) },
      order: { seq: 'ASC' },
    });
    const byServer = new Map<string, ScopeEntity[]>(ids.map((id) => [id, []]));
    for (const scope of scopes) byServer.get(scope.resourceServerId)?.push(scope);
    return byServer;
  }

  /** The descriptions of some scopes of one API (by value; the API's uuid), e.g. for a consent page. */
  async scopeDescriptions(resourceServerId: string, values: readonly string[]): Promise<Map<string, string>> {
    if (values.length === 0) return new Map();
    const scopes = await this.dataSource.manager.find(ScopeEntity, {
      where: { resourceServerId, value: In([...values]) },
      select: { value: true, description: true },
    });
    return new Map(scopes.map((s) => [s.value, s.description]));
  }

  /** Locks the row for the rest of the transaction so concurrent writers to one API serialize. */
  private async lockOrFail(em: EntityManager, id: string): Promise<ResourceServerEntity> {
    const server = await em.findOne(ResourceServerEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!server) throw DomainError.notFound(['id'], 'resource server');
    return server;
  }
}

function target(id: string) {
  return { targetType: 'ResourceServer', targetId: id };
}

function identifierTaken(): DomainError {
  return DomainError.of('TAKEN', ['input', 'identifier'], 'an API with this identifier already exists');
}

function systemScopes(): DomainError {
  return DomainError.of('SYSTEM_RESOURCE', ['id'], 'the scopes of a system API cannot be changed');
}

/** GraphQL passes explicit nulls for omitted optional fields; treat them as "not given". */
export function withoutNulls<T extends object>(input: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined)) as never;
}
