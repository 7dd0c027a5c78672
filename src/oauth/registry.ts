import { DataSource, IsNull, MoreThan } from 'typeorm';
import { ClientEntity } from '../domain/client/client.entity';
import { ClientSecretEntity } from '../domain/client/client-secret.entity';
import { ResourceServerEntity } from '../domain/resource-server/resource-server.entity';
import { ScopeEntity } from '../domain/resource-server/scope.entity';
import { ClientGrantEntity } from '../domain/client-grant/client-grant.entity';
import type { ActiveTokenHook } from '../domain/token-hook/token-hook.service';

export interface CachedClient {
  client: ClientEntity;
  secrets: { hash: string; expiresAt: Date | null }[];
}

export interface CachedApi {
  server: ResourceServerEntity;
  scopes: ReadonlySet<string>;
  /** The API's token hook, secret opened (memory only); null or absent: none. */
  tokenHook?: ActiveTokenHook | null;
}

/** Loads an API's token hook with the API (see TokenHookService.activeHook). */
export type TokenHookLoader = (serverId: string) => Promise<ActiveTokenHook | null>;

/** Entries per map before it is cleared; bounds memory against floods of unknown ids. */
const MAX_ENTRIES = 50_000;

/**
 * The token endpoint's read model: clients, APIs and grants, cached in process (hits and misses).
 * Any committed change, on any instance, clears it (see change-listener.ts); a load that started
 * before a clear is not stored, so a stale read never outlives the change that made it stale.
 */
export class Registry {
  private clients = new Map<string, Promise<CachedClient | null>>();
  private apis = new Map<string, Promise<CachedApi | null>>();
  /** API uuid → identifier (then `apis`). */
  private apiIdentifiers = new Map<string, Promise<string | null>>();
  private grants = new Map<string, Promise<ClientGrantEntity | null>>();
  private generation = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly loadTokenHook?: TokenHookLoader,
  ) {}

  clear(): void {
    this.generation++;
    this.clients.clear();
    this.apis.clear();
    this.apiIdentifiers.clear();
    this.grants.clear();
  }

  client(clientId: string): Promise<CachedClient | null> {
    return this.cached(this.clients, clientId, async () => {
      const client = await this.dataSource.manager.findOneBy(ClientEntity, { clientId });
      if (!client) return null;
      const secrets = await this.dataSource.manager.find(ClientSecretEntity, {
        where: [
          { clientUuid: client.id, expiresAt: IsNull() },
          { clientUuid: client.id, expiresAt: MoreThan(new Date()) },
        ],
      });
      return { client, secrets: secrets.map((s) => ({ hash: s.secretHash, expiresAt: s.expiresAt })) };
    });
  }

  api(identifier: string): Promise<CachedApi | null> {
    return this.cached(this.apis, identifier, async () => {
      const server = await this.dataSource.manager.findOneBy(ResourceServerEntity, { identifier });
      if (!server) return null;
      const scopes = await this.dataSource.manager.find(ScopeEntity, {
        where: { resourceServerId: server.id },
        select: { value: true },
      });
      const tokenHook = this.loadTokenHook ? await this.loadTokenHook(server.id) : null;
      return { server, scopes: new Set(scopes.map((s) => s.value)), tokenHook };
    });
  }

  /** The API by its uuid (resource_servers.id), e.g. the one an authorization code is for. */
  async apiById(id: string): Promise<CachedApi | null> {
    const identifier = await this.cached(this.apiIdentifiers, id, async () => {
      const server = await this.dataSource.manager.findOne(ResourceServerEntity, { where: { id }, select: { identifier: true } });
      return server?.identifier ?? null;
    });
    if (identifier === null) return null;
    const api = await this.api(identifier);
    // The identifier is immutable, but guard against a different API having taken it since.
    return api && api.server.id === id ? api : null;
  }

  grant(clientUuid: string, serverUuid: string): Promise<ClientGrantEntity | null> {
    return this.cached(this.grants, `${clientUuid}|${serverUuid}`, () =>
      this.dataSource.manager.findOneBy(ClientGrantEntity, { clientUuid: clientUuid, resourceServerId: serverUuid }),
    );
  }

  private cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit) return hit;
    const generation = this.generation;
    const promise = load();
    if (map.size >= MAX_ENTRIES) map.clear();
    map.set(key, promise);
    promise.then(
      () => {
        if (generation !== this.generation && map.get(key) === promise) map.delete(key);
      },
      () => {
        if (map.get(key) === promise) map.delete(key);
      },
    );
    return promise;
  }
}
