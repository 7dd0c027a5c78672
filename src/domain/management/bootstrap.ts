import type { DataSource, EntityManager } from 'typeorm';
import { BuiltinApi, ResourceServerEntity } from '../resource-server/resource-server.entity';
import { ScopeEntity } from '../resource-server/scope.entity';
import { ClientEntity } from '../client/client.entity';
import { ClientSecretEntity } from '../client/client-secret.entity';
import { ClientGrantEntity } from '../client-grant/client-grant.entity';
import { ALL_MANAGEMENT_SCOPES, MANAGEMENT_SCOPE_DESCRIPTIONS } from '../management-scopes';
import { generateClientId, generateSecret, sha256Hex } from '../../crypto/random';
import type { ChangeFeed } from '../../db/change-feed';
import { ensureConsoleClient } from './console-client';
import { lockBootstrap } from './bootstrap-lock';
import { ensureAdministratorRole } from './administrator';
import { BUILTIN_API_ALGORITHM } from './builtin-algorithm';

export const MANAGEMENT_API_NAME = 'Management API';
export const USERINFO_API_NAME = 'OpenID Connect userinfo';
export const BOOTSTRAP_CLIENT_NAME = 'Management bootstrap client';

export interface BootstrapResult {
  managementApi: ResourceServerEntity;
  /** The audience of access tokens from authorization requests that name no API: the userinfo endpoint's. */
  userinfoApi: ResourceServerEntity;
  /** The built-in console (a public SPA client): the one client people get Management API tokens through. */
  consoleClient: { id: string; clientId: string };
}

/** A management client's credentials, as shown once. */
export interface ManagementCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Makes sure the built-in APIs exist: the Management API with every management scope, and the
 * userinfo API (OpenID Connect requests that name no API get access tokens for the userinfo
 * endpoint); the console client with its URLs under `issuer`, the Administrator role with every
 * management scope; and the configured bootstrap client (BOOTSTRAP_CLIENT_ID) when there is one. A
 * generated client is made later, once the service listens (createFirstManagementClient).
 */
export async function bootstrapManagement(
  dataSource: DataSource,
  changes: ChangeFeed,
  options: { issuer: string; audience: string; userinfoAudience: string; bootstrapClient?: { clientId: string; clientSecret: string } },
): Promise<BootstrapResult> {
  return dataSource.transaction(async (em) => {
    await lockBootstrap(em);
    const api = await ensureManagementApi(em, options.audience);
    const userinfoApi = await ensureBuiltinApi(em, 'USERINFO', options.userinfoAudience, {
      name: USERINFO_API_NAME,
      // Sign-in without an API: first-party applications skip consent, and may stay signed in.
      allowSkippingUserConsent: true,
      allowOfflineAccess: true,
    });
    if (options.bootstrapClient) {
      await changes.publish(
        em,
        'client',
        await ensureClient(em, api, options.bootstrapClient.clientId, options.bootstrapClient.clientSecret),
      );
    }
    const consoleClient = await ensureConsoleClient(em, options.issuer);
    if (consoleClient.changed) await changes.publish(em, 'client', consoleClient.id);
    await changes.publish(em, 'role', await ensureAdministratorRole(em, api.id));
    await changes.publish(em, 'resource_server', api.id);
    await changes.publish(em, 'resource_server', userinfoApi.id);
    return { managementApi: api, userinfoApi, consoleClient: { id: consoleClient.id, clientId: consoleClient.clientId } };
  });
}

/**
 * A generated management client, when no client holds a grant for the Management API yet (a first
 * start without BOOTSTRAP_CLIENT_ID); undefined otherwise. Called once the service listens, so a
 * start that fails (a port in use) creates no client whose secret nobody will see.
 */
export async function createFirstManagementClient(dataSource: DataSource, changes: ChangeFeed): Promise<ManagementCredentials | undefined> {
  return dataSource.transaction(async (em) => {
    await lockBootstrap(em);
    const api = await em.findOneByOrFail(ResourceServerEntity, { builtin: 'MANAGEMENT' });
    if (await em.existsBy(ClientGrantEntity, { resourceServerId: api.id })) return undefined;
    const credentials = { clientId: generateClientId(), clientSecret: generateSecret() };
    await changes.publish(em, 'client', await ensureClient(em, api, credentials.clientId, credentials.clientSecret));
    return credentials;
  });
}

/** The uuid of the generated management client (the oldest one, should there be several); null when there is none. */
export async function findGeneratedManagementClient(dataSource: DataSource): Promise<{ id: string; clientId: string } | null> {
  const rows: { id: string; client_id: string }[] = await dataSource.query(
    `SELECT c.id, c.client_id FROM clients c
       JOIN client_grants g ON g.client_id = c.id
       JOIN resource_servers r ON r.id = g.resource_server_id AND r.builtin = 'MANAGEMENT'
      WHERE c.name = $1 ORDER BY c.seq LIMIT 1`,
    [BOOTSTRAP_CLIENT_NAME],
  );
  return rows.length === 0 ? null : { id: rows[0].id, clientId: rows[0].client_id };
}

/** A built-in API with its identifier from the configuration; created with `settings` the first time. */
async function ensureBuiltinApi(
  em: EntityManager,
  builtin: BuiltinApi,
  identifier: string,
  settings: Pick<ResourceServerEntity, 'name' | 'allowSkippingUserConsent' | 'allowOfflineAccess'> & { enforcePolicies?: boolean },
): Promise<ResourceServerEntity> {
  const api = await em.findOneBy(ResourceServerEntity, { builtin });
  if (!api) {
    const created = em.create(ResourceServerEntity, {
      identifier,
      signingAlgorithm: BUILTIN_API_ALGORITHM,
      tokenLifetime: 86_400,
      tokenLifetimeForWeb: 7_200,
      enforcePolicies: false,
      ...settings,
      tokenDialect: 'RFC9068_PROFILE',
      proofOfPossession: 'NONE',
      isSystem: true,
      builtin,
    });
    await em.insert(ResourceServerEntity, created);
    return created;
  }
  if (api.identifier !== identifier) {
    // The issuer moved (ISSUER / MANAGEMENT_AUDIENCE changed): the built-in API follows the config.
    await em.update(ResourceServerEntity, { id: api.id }, { identifier });
  }
  return api;
}

async function ensureManagementApi(em: EntityManager, audience: string): Promise<ResourceServerEntity> {
  const api = await ensureBuiltinApi(em, 'MANAGEMENT', audience, {
    name: MANAGEMENT_API_NAME,
    allowSkippingUserConsent: false,
    allowOfflineAccess: true,
    enforcePolicies: true,
  });
  // Installed before people could sign in to it: they do through the console only
  // (oauth/management-user-tokens.ts), with their roles' scopes (RBAC, applied whatever this says:
  // oauth/user-policy.ts) and refresh tokens.
  if (!api.enforcePolicies || !api.allowOfflineAccess) {
    await em.update(ResourceServerEntity, { id: api.id }, { enforcePolicies: true, allowOfflineAccess: true });
  }
  const existing = new Set((await em.findBy(ScopeEntity, { resourceServerId: api.id })).map((s) => s.value));
  const missing = ALL_MANAGEMENT_SCOPES.filter((s) => !existing.has(s));
  if (missing.length > 0) {
    await em.insert(
      ScopeEntity,
      missing.map((value) => ({ resourceServerId: api.id, value, description: MANAGEMENT_SCOPE_DESCRIPTIONS[value] ?? '' })),
    );
  }
  return em.findOneByOrFail(ResourceServerEntity, { id: api.id });
}

/** A machine client with these credentials holding a grant for every management scope; its uuid. */
async function ensureClient(em: EntityManager, api: ResourceServerEntity, clientId: string, secret: string): Promise<string> {
  let client = await em.findOneBy(ClientEntity, { clientId });
  if (!client) {
    client = em.create(ClientEntity, {
      clientId,
      name: BOOTSTRAP_CLIENT_NAME,
      description: 'Created at start to administer this server',
      appType: 'MACHINE_TO_MACHINE',
      isFirstParty: true,
      grantTypes: ['CLIENT_CREDENTIALS'],
      tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
      callbacks: [],
      allowedOrigins: [],
    });
    await em.insert(ClientEntity, client);
  } else if (!client.grantTypes.includes('CLIENT_CREDENTIALS') || client.tokenEndpointAuthMethod === 'NONE') {
    throw new Error(`BOOTSTRAP_CLIENT_ID names a client that cannot use client credentials`);
  }
  const hash = sha256Hex(secret);
  const secrets = await em.findBy(ClientSecretEntity, { clientUuid: client.id });
  if (!secrets.some((s) => s.secretHash === hash && s.expiresAt === null)) {
    await em.delete(ClientSecretEntity, { clientUuid: client.id });
    await em.insert(ClientSecretEntity, { clientUuid: client.id, secretHash: hash, lastFour: secret.slice(-4), expiresAt: null });
  }
  const grant = await em.findOneBy(ClientGrantEntity, { clientUuid: client.id, resourceServerId: api.id });
  if (!grant) {
    await em.insert(ClientGrantEntity, { clientUuid: client.id, resourceServerId: api.id, scopes: ALL_MANAGEMENT_SCOPES });
  } else if (ALL_MANAGEMENT_SCOPES.some((s) => !grant.scopes.includes(s))) {
    await em.update(ClientGrantEntity, { id: grant.id }, { scopes: [...new Set([...grant.scopes, ...ALL_MANAGEMENT_SCOPES])] });
  }
  return client.id;
}
