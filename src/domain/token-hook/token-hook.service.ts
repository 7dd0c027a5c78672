import { createSecretKey, KeyObject } from 'node:crypto';
import { DataSource, EntityManager, In } from 'typeorm';
import { DomainError, IssueList } from '../errors';
import { checkEnum } from '../resource-server/resource-server.rules';
import { ResourceServerEntity } from '../resource-server/resource-server.entity';
import { generateSecret } from '../../crypto/random';
import type { SecretBox } from '../../crypto/secret-box';
import type { ChangeFeed } from '../../db/change-feed';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import { TokenHookEntity } from './token-hook.entity';
import {
  checkTokenHookTimeout,
  checkTokenHookUrl,
  TOKEN_HOOK_DEFAULTS,
  TOKEN_HOOK_FAILURE_POLICIES,
  TokenHookFailurePolicy,
} from './token-hook.rules';

export interface TokenHookSet {
  url: string;
  /** Default 2000 (100–10000). */
  timeoutMs?: number | null;
  /** Default DENY. */
  failurePolicy?: TokenHookFailurePolicy | null;
  /** Replace the secret of an existing hook (a new hook always gets one). */
  rotateSecret?: boolean | null;
}

/**
 * A hook as the token path uses it: the secret is opened once, kept in memory as a KeyObject
 * (which prints as nothing in logs), never stored or returned in plain text after `set`.
 */
export interface ActiveTokenHook {
  resourceServerId: string;
  url: string;
  timeoutMs: number;
  failurePolicy: TokenHookFailurePolicy;
  /** HMAC-SHA256 key: the UTF-8 bytes of the secret handed out by `set`. */
  secret: KeyObject;
}

/**
 * Token hooks (one per API): set, remove, read. Every change is audited in its transaction and
 * announced on the change feed, so every instance drops the cached API (and its hook) at commit.
 */
export class TokenHookService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
    private readonly box: SecretBox,
    /** TOKEN_HOOK_ALLOWED_HOSTS: hosts that may use http (normalized). */
    private readonly allowedHosts: ReadonlySet<string>,
  ) {}

  /**
   * Creates or replaces the API's hook. The secret (256 bits) is generated for a new hook, or
   * when `rotateSecret` is true, and returned this once; otherwise the hook keeps its secret and
   * `secret` is null. Omitted settings take their defaults (a set is the whole configuration).
   */
  async set(
    serverId: string,
    input: TokenHookSet,
    actor: Actor,
  ): Promise<{ server: ResourceServerEntity; hook: TokenHookEntity; secret: string | null }> {
    const issues = new IssueList();
    const field = (name: string) => ['input', name];
    const values = {
      url: input.url,
      timeoutMs: input.timeoutMs ?? TOKEN_HOOK_DEFAULTS.timeoutMs,
      failurePolicy: input.failurePolicy ?? TOKEN_HOOK_DEFAULTS.failurePolicy,
    };
    checkTokenHookUrl(issues, field('url'), values.url, this.allowedHosts);
    checkTokenHookTimeout(issues, field('timeoutMs'), values.timeoutMs);
    checkEnum(issues, field('failurePolicy'), values.failurePolicy, TOKEN_HOOK_FAILURE_POLICIES);
    issues.throwIfAny();

    return this.dataSource.transaction(async (em) => {
      await this.lockServerOrFail(em, serverId);
      const existing = await em.findOneBy(TokenHookEntity, { resourceServerId: serverId });
      const secret = !existing || input.rotateSecret ? generateSecret() : null;
      const secretColumns = secret !== null ? { secretSealed: this.box.seal(secret, associatedData(serverId)) } : {};
      if (existing) {
        await em.update(TokenHookEntity, { resourceServerId: serverId }, { ...values, ...secretColumns, updatedAt: () => 'now()' });
      } else {
        await em.insert(TokenHookEntity, { resourceServerId: serverId, ...values, ...(secretColumns as { secretSealed: string }) });
      }
      await em.update(ResourceServerEntity, { id: serverId }, { updatedAt: () => 'now()' });
      await this.audit.record(em, actor, {
        operation: 'resourceServerTokenHookSet',
        ...target(serverId),
        summary: { ...values, created: !existing, rotated: existing !== null && secret !== null },
      });
      await this.changes.publish(em, 'resource_server', serverId);
      return {
        server: await em.findOneByOrFail(ResourceServerEntity, { id: serverId }),
        hook: await em.findOneByOrFail(TokenHookEntity, { resourceServerId: serverId }),
        secret,
      };
    });
  }

  async remove(serverId: string, actor: Actor): Promise<ResourceServerEntity> {
    return this.dataSource.transaction(async (em) => {
      await this.lockServerOrFail(em, serverId);
      const existing = await em.findOneBy(TokenHookEntity, { resourceServerId: serverId });
      if (!existing) throw noHook();
      await em.delete(TokenHookEntity, { resourceServerId: serverId });
      await em.update(ResourceServerEntity, { id: serverId }, { updatedAt: () => 'now()' });
      await this.audit.record(em, actor, {
        operation: 'resourceServerTokenHookRemove',
        ...target(serverId),
        summary: { url: existing.url },
      });
      await this.changes.publish(em, 'resource_server', serverId);
      return em.findOneByOrFail(ResourceServerEntity, { id: serverId });
    });
  }

  /** The hooks of many APIs in one statement (secrets stay sealed). */
  async hooksOf(serverIds: readonly string[]): Promise<Map<string, TokenHookEntity>> {
    const rows = await this.dataSource.manager.findBy(TokenHookEntity, { resourceServerId: In([...serverIds]) });
    return new Map(rows.map((row) => [row.resourceServerId, row]));
  }

  /** The API's hook with its secret opened, for the test mutation (the token path reads hooks with their APIs: `open`). */
  async activeHook(serverId: string): Promise<ActiveTokenHook | null> {
    const row = await this.dataSource.manager.findOneBy(TokenHookEntity, { resourceServerId: serverId });
    return row && this.open(row);
  }

  /** A hook as read, its secret opened (memory only). */
  open(row: TokenHookEntity): ActiveTokenHook {
    return {
      resourceServerId: row.resourceServerId,
      url: row.url,
      timeoutMs: row.timeoutMs,
      failurePolicy: row.failurePolicy,
      secret: createSecretKey(Buffer.from(this.box.open(row.secretSealed, associatedData(row.resourceServerId)), 'utf8')),
    };
  }

  /** Locks the API for the rest of the transaction (writers to one API serialize); a system API gets no hook. */
  private async lockServerOrFail(em: EntityManager, serverId: string): Promise<ResourceServerEntity> {
    const server = await em.findOne(ResourceServerEntity, { where: { id: serverId }, lock: { mode: 'pessimistic_write' } });
    if (!server) throw DomainError.notFound(['id'], 'resource server');
    if (server.isSystem) throw DomainError.of('SYSTEM_RESOURCE', ['id'], 'a system API cannot have a token hook');
    return server;
  }
}

/** Binds a sealed secret to its API: a ciphertext copied to another API's row does not open. */
function associatedData(serverId: string): string {
  return `token_hook:${serverId}`;
}

function target(id: string) {
  return { targetType: 'ResourceServer', targetId: id };
}

export function noHook(): DomainError {
  return DomainError.of('NOT_FOUND', ['id'], 'this API has no token hook');
}
