import { DataSource, EntityManager, In, IsNull, MoreThan, Not } from 'typeorm';
import { DomainError, IssueList } from '../errors';
import { checkName, checkText, rotationGrace } from '../validation';
import { keysetPage, Page, PageRequest } from '../pagination';
import { withoutNulls } from '../resource-server/resource-server.service';
import { checkEnum } from '../resource-server/resource-server.rules';
import { generateClientId, generateSecret, sha256Hex } from '../../crypto/random';
import type { ChangeFeed } from '../../db/change-feed';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import { ClientEntity } from './client.entity';
import { ClientSecretEntity } from './client-secret.entity';
import { ClientGrantEntity } from '../client-grant/client-grant.entity';
import { checkClientMetadata, MetadataEntry } from './client-metadata';
import { checkClientJwks, ClientJwks, jwksSummary } from './client-jwks';
import { ASYMMETRIC_ALGORITHMS, AsymmetricAlgorithm } from '../../crypto/key-pairs';
import {
  APP_TYPES,
  AppType,
  checkAuthMethod,
  checkGrantTypes,
  checkIdTokenLifetime,
  checkOrigins,
  checkRedirectUrls,
  checkRefreshTokenSettings,
  CLIENT_DESCRIPTION_MAX,
  DEFAULT_GRANT_TYPES,
  DEFAULT_ID_TOKEN_LIFETIME,
  DEFAULT_ID_TOKEN_SIGNING_ALGORITHM,
  DEFAULT_REFRESH_TOKEN_SETTINGS,
  defaultAuthMethod,
  GrantType,
  isPublicClient,
  isValidRefreshTokenLifetime,
  mayHoldClientGrants,
  RefreshTokenSettings,
  refreshTokenSettingsOf,
  TOKEN_ENDPOINT_AUTH_METHODS,
  TokenEndpointAuthMethod,
  usesSecret,
} from './client.rules';
import type { Clock } from '../../lib/clock';
import { CONSOLE_FIXED_FIELDS } from '../management/console-client';

export interface ClientCreate {
  name: string;
  description?: string | null;
  appType: AppType;
  isFirstParty?: boolean | null;
  grantTypes?: GrantType[] | null;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | null;
  callbacks?: string[] | null;
  allowedOrigins?: string[] | null;
  allowedLogoutUrls?: string[] | null;
  idTokenSigningAlgorithm?: AsymmetricAlgorithm | null;
  /** Seconds. */
  idTokenLifetime?: number | null;
  /** Omitted settings keep their value (update) or default (create). */
  refreshToken?: { [K in keyof RefreshTokenSettings]?: RefreshTokenSettings[K] | null } | null;
  /** Replaces the whole map (update: `[]` clears it). See client-metadata.ts. */
  metadata?: MetadataEntry[] | null;
  /** A JWK Set of public keys (PRIVATE_KEY_JWT), see client-jwks.ts; replaces the stored one (update: `{ keys: [] }` removes them). */
  jwks?: Record<string, unknown> | null;
  /** /authorize refuses this client's requests unless pushed first (RFC 9126). Default false. */
  requirePushedAuthorizationRequests?: boolean | null;
}

export type ClientUpdate = { [K in keyof ClientCreate]?: ClientCreate[K] | null };

export interface ClientFilter {
  appType?: AppType;
}

/** Fields accepted by update that may never change: they decide what the client is trusted with. */
const IMMUTABLE_FIELDS = ['appType', 'isFirstParty'] as const;

export class ClientService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Creates the client; one that authenticates with a secret gets one, returned here once and stored hashed. */
  async create(input: ClientCreate, actor: Actor): Promise<{ client: ClientEntity; secret: string | null }> {
    const issues = new IssueList();
    const field = (name: string) => ['input', name];
    if (!checkEnum(issues, field('appType'), input.appType, APP_TYPES)) issues.throwIfAny();
    const appType = input.appType;
    const values = {
      name: input.name,
      description: input.description ?? '',
      appType,
      isFirstParty: input.isFirstParty ?? true,
      grantTypes: input.grantTypes ?? [...DEFAULT_GRANT_TYPES[appType]],
      tokenEndpointAuthMethod: input.tokenEndpointAuthMethod ?? defaultAuthMethod(appType),
      callbacks: input.callbacks ?? [],
      allowedOrigins: input.allowedOrigins ?? [],
      allowedLogoutUrls: input.allowedLogoutUrls ?? [],
      idTokenSigningAlgorithm: input.idTokenSigningAlgorithm ?? DEFAULT_ID_TOKEN_SIGNING_ALGORITHM,
      idTokenLifetime: input.idTokenLifetime ?? DEFAULT_ID_TOKEN_LIFETIME,
      requirePushedAuthorizationRequests: input.requirePushedAuthorizationRequests ?? false,
    };
    this.checkSettings(issues, values, (name) => field(name));
    const given = withoutNulls(input.refreshToken ?? {});
    const absoluteLifetime = given.absoluteLifetime ?? DEFAULT_REFRESH_TOKEN_SETTINGS.absoluteLifetime;
    const refreshToken: RefreshTokenSettings = {
      ...DEFAULT_REFRESH_TOKEN_SETTINGS,
      // A shorter absolute lifetime than the default idle one shortens the idle one too.
      idleLifetime: isValidRefreshTokenLifetime(absoluteLifetime)
        ? Math.min(DEFAULT_REFRESH_TOKEN_SETTINGS.idleLifetime, absoluteLifetime)
        : DEFAULT_REFRESH_TOKEN_SETTINGS.idleLifetime,
      ...given,
    };
    checkRefreshTokenSettings(issues, field('refreshToken'), refreshToken, appType);
    const metadata = checkClientMetadata(issues, field('metadata'), input.metadata ?? []);
    const jwks = input.jwks ? checkClientJwks(issues, field('jwks'), input.jwks) : null;
    if (jwks !== undefined) checkKeys(issues, field('jwks'), values, jwks);
    issues.throwIfAny();

    return this.dataSource.transaction(async (em) => {
      const client = em.create(ClientEntity, {
        ...values,
        metadata,
        jwks: jwks ?? null,
        ...refreshTokenColumns(refreshToken),
        clientId: generateClientId(),
      });
      await em.insert(ClientEntity, client);
      let secret: string | null = null;
      if (usesSecret(values)) {
        secret = generateSecret();
        await em.insert(ClientSecretEntity, secretRow(client.id, secret));
      }
      await this.audit.record(em, actor, {
        operation: 'clientCreate',
        ...target(client.id),
        summary: { clientId: client.clientId, ...values, metadata, refreshTokenSettings: refreshToken, jwks: jwksSummary(jwks ?? null) },
      });
      await this.changes.publish(em, 'client', client.id);
      return { client: await em.findOneByOrFail(ClientEntity, { id: client.id }), secret };
    });
  }

  async update(id: string, input: ClientUpdate, actor: Actor): Promise<ClientEntity> {
    return this.dataSource.transaction(async (em) => {
      const client = await this.lockOrFail(em, id);
      const issues = new IssueList();
      const field = (name: string) => ['input', name];
      const { refreshToken: refreshInput, metadata: metadataInput, jwks: jwksInput, ...changes } = withoutNulls(input);
      for (const name of IMMUTABLE_FIELDS) {
        if (changes[name] !== undefined && changes[name] !== client[name]) {
          issues.add('IMMUTABLE', field(name), `${name} cannot be changed after creation`);
        }
      }
      if (client.builtin !== null) {
        // A system client (the console): what makes it work is the service's to set (bootstrap).
        const given: Record<string, unknown> = { ...changes, ...(jwksInput ? { jwks: jwksInput } : {}) };
        for (const name of CONSOLE_FIXED_FIELDS) {
          if (
            given[name] !== undefined &&
            JSON.stringify(given[name]) !== JSON.stringify(client[name]) &&
            !IMMUTABLE_FIELDS.includes(name as never)
          ) {
            issues.add('SYSTEM_RESOURCE', field(name), `${name} of a system application cannot be changed`);
          }
        }
      }
      issues.throwIfAny();
      const next = { ...client, ...changes };
      this.checkSettings(issues, next, field, Object.keys(changes));
      // Partial: the settings given replace those stored (the stored rotation, not the effective one), the others stay.
      const refreshToken = refreshInput
        ? { ...refreshTokenSettingsOf(client), rotation: client.refreshTokenRotation, ...withoutNulls(refreshInput) }
        : undefined;
      if (refreshToken) checkRefreshTokenSettings(issues, field('refreshToken'), refreshToken, client.appType);
      const metadata = metadataInput ? checkClientMetadata(issues, field('metadata'), metadataInput) : undefined;
      // The keys the client will have (undefined: the given set is refused).
      const jwks = jwksInput ? checkClientJwks(issues, field('jwks'), jwksInput) : client.jwks;
      if (jwks !== undefined && (jwksInput || changes.tokenEndpointAuthMethod)) checkKeys(issues, field('jwks'), next, jwks);
      if (
        changes.grantTypes !== undefined &&
        mayHoldClientGrants(client.grantTypes) &&
        !mayHoldClientGrants(next.grantTypes) &&
        (await em.existsBy(ClientGrantEntity, { clientUuid: id }))
      ) {
        issues.add(
          'INVALID',
          field('grantTypes'),
          'this client holds client grants: delete them before removing CLIENT_CREDENTIALS and TOKEN_EXCHANGE',
        );
      }
      issues.throwIfAny();
      const { appType: _a, isFirstParty: _f, ...rest } = changes;
      const writable = {
        ...rest,
        ...(refreshToken ? refreshTokenColumns(refreshToken) : {}),
        ...(metadata ? { metadata } : {}),
        ...(jwksInput ? { jwks: jwks ?? null } : {}),
      };
      if (Object.keys(writable).length > 0) {
        await em.update(ClientEntity, { id }, writable);
        await this.changes.publish(em, 'client', id);
      }
      // A client that now authenticates with its keys has no secret (any it had could no longer be used).
      if (usesSecret(client) && !usesSecret(next)) await em.delete(ClientSecretEntity, { clientUuid: id });
      await this.audit.record(em, actor, {
        operation: 'clientUpdate',
        ...target(id),
        summary: {
          ...changes,
          ...(refreshToken ? { refreshTokenSettings: refreshToken } : {}),
          ...(metadata ? { metadata } : {}),
          ...(jwksInput ? { jwks: jwksSummary(jwks ?? null) } : {}),
        },
      });
      return em.findOneByOrFail(ClientEntity, { id });
    });
  }

  /** Deletes the client with its secrets and grants, in one transaction. */
  async delete(id: string, actor: Actor): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      const client = await this.lockOrFail(em, id);
      if (client.builtin !== null) throw DomainError.of('SYSTEM_RESOURCE', ['id'], 'a system application cannot be deleted');
      await em.delete(ClientEntity, { id });
      await this.audit.record(em, actor, {
        operation: 'clientDelete',
        ...target(id),
        summary: { clientId: client.clientId, name: client.name },
      });
      await this.changes.publish(em, 'client', id);
    });
  }

  /**
   * Gives the client a new secret (returned once). The current one keeps working for
   * `previousSecretExpiresIn` seconds (0: stops at once); an older one still in its grace period is
   * dropped, so a client never holds more than two.
   */
  async rotateSecret(
    id: string,
    input: { previousSecretExpiresIn?: number | null },
    actor: Actor,
  ): Promise<{ client: ClientEntity; secret: string }> {
    const grace = rotationGrace(input, this.clock.now());
    return this.dataSource.transaction(async (em) => {
      const client = await this.lockOrFail(em, id);
      if (isPublicClient(client.appType)) {
        throw DomainError.of('INVALID', ['id'], `${client.appType} clients are public and have no secret`);
      }
      if (!usesSecret(client)) {
        throw DomainError.of('INVALID', ['id'], 'this client authenticates with PRIVATE_KEY_JWT (its keys) and has no secret');
      }
      const secret = generateSecret();
      await em.delete(ClientSecretEntity, { clientUuid: id, expiresAt: Not(IsNull()) });
      const { previousExpiresAt } = grace;
      if (previousExpiresAt) await em.update(ClientSecretEntity, { clientUuid: id }, { expiresAt: previousExpiresAt });
      else await em.delete(ClientSecretEntity, { clientUuid: id });
      await em.insert(ClientSecretEntity, secretRow(id, secret));
      await em.update(ClientEntity, { id }, { updatedAt: () => 'now()' });
      await this.audit.record(em, actor, {
        operation: 'clientSecretRotate',
        ...target(id),
        summary: { gracePeriodSeconds: grace.seconds, previousExpiresAt },
      });
      await this.changes.publish(em, 'client', id);
      return { client: await em.findOneByOrFail(ClientEntity, { id }), secret };
    });
  }

  /** The secrets still valid for each client (never the secrets themselves), newest first. */
  async secretsOf(ids: readonly string[]): Promise<Map<string, ClientSecretEntity[]>> {
    const now = this.clock.now();
    const rows = await this.dataSource.manager.find(ClientSecretEntity, {
      where: [
        { clientUuid: In([...ids]), expiresAt: IsNull() },
        { clientUuid: In([...ids]), expiresAt: MoreThan(now) },
      ],
      order: { createdAt: 'DESC' },
    });
    const byClient = new Map<string, ClientSecretEntity[]>(ids.map((id) => [id, []]));
    for (const row of rows) byClient.get(row.clientUuid)?.push(row);
    return byClient;
  }

  findByClientId(clientId: string): Promise<ClientEntity | null> {
    return this.dataSource.manager.findOneBy(ClientEntity, { clientId });
  }

  list(page: PageRequest, filter: ClientFilter = {}): Promise<Page<ClientEntity>> {
    const qb = this.dataSource.manager.createQueryBuilder(ClientEntity, 'c');
    if (filter.appType) qb.where('c.app_type = :appType', { appType: filter.appType });
    return keysetPage(qb, page);
  }

  count(filter: ClientFilter = {}): Promise<number> {
    return this.dataSource.manager.countBy(ClientEntity, filter.appType ? { appType: filter.appType } : {});
  }

  private checkSettings(
    issues: IssueList,
    values: Omit<Required<ClientCreate>, 'refreshToken' | 'metadata' | 'jwks'> & { [k: string]: unknown },
    field: (name: string) => string[],
    only?: string[],
  ): void {
    const given = (name: string) => only === undefined || only.includes(name);
    if (given('name')) checkName(issues, field('name'), values.name);
    if (given('description')) checkText(issues, field('description'), values.description ?? '', CLIENT_DESCRIPTION_MAX);
    if (given('grantTypes')) {
      checkGrantTypes(issues, field('grantTypes'), values.grantTypes ?? [], values.appType, values.isFirstParty ?? true);
    }
    if (
      given('tokenEndpointAuthMethod') &&
      checkEnum(issues, field('tokenEndpointAuthMethod'), values.tokenEndpointAuthMethod ?? '', TOKEN_ENDPOINT_AUTH_METHODS)
    ) {
      checkAuthMethod(issues, field('tokenEndpointAuthMethod'), values.tokenEndpointAuthMethod!, values.appType);
    }
    if (given('callbacks')) checkRedirectUrls(issues, field('callbacks'), values.callbacks ?? [], values.appType);
    if (given('allowedOrigins')) checkOrigins(issues, field('allowedOrigins'), values.allowedOrigins ?? []);
    if (given('allowedLogoutUrls')) checkRedirectUrls(issues, field('allowedLogoutUrls'), values.allowedLogoutUrls ?? [], values.appType);
    if (given('idTokenSigningAlgorithm')) {
      checkEnum(issues, field('idTokenSigningAlgorithm'), values.idTokenSigningAlgorithm ?? '', ASYMMETRIC_ALGORITHMS);
    }
    if (given('idTokenLifetime')) {
      checkIdTokenLifetime(issues, field('idTokenLifetime'), values.idTokenLifetime ?? DEFAULT_ID_TOKEN_LIFETIME);
    }
  }

  private async lockOrFail(em: EntityManager, id: string): Promise<ClientEntity> {
    const client = await em.findOne(ClientEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!client) throw DomainError.notFound(['id'], 'client');
    return client;
  }
}

/**
 * Keys only for confidential clients (a public client proves nothing), and a PRIVATE_KEY_JWT client
 * must have some. `jwks`: the key set the client will have.
 */
function checkKeys(
  issues: IssueList,
  field: string[],
  client: { appType: AppType; tokenEndpointAuthMethod: TokenEndpointAuthMethod },
  jwks: ClientJwks | null,
): void {
  if (jwks && isPublicClient(client.appType)) {
    issues.add('INVALID', field, `${client.appType} clients are public: they have no keys`);
  } else if (!jwks && client.tokenEndpointAuthMethod === 'PRIVATE_KEY_JWT' && !isPublicClient(client.appType)) {
    issues.add('INVALID', field, 'PRIVATE_KEY_JWT needs at least one public key');
  }
}

function target(id: string) {
  return { targetType: 'Client', targetId: id };
}

function refreshTokenColumns(settings: RefreshTokenSettings): Partial<ClientEntity> {
  return {
    refreshTokenRotation: settings.rotation,
    refreshTokenLeeway: settings.leeway,
    refreshTokenAbsoluteLifetime: settings.absoluteLifetime,
    refreshTokenIdleLifetime: settings.idleLifetime,
  };
}

function secretRow(clientUuid: string, secret: string): Partial<ClientSecretEntity> {
  return { clientUuid, secretHash: sha256Hex(secret), lastFour: secret.slice(-4), expiresAt: null };
}
