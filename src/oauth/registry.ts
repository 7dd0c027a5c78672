import type { ClientEntity } from '../domain/client/client.entity';
import type { ResourceServerEntity } from '../domain/resource-server/resource-server.entity';
import type { ClientGrantEntity } from '../domain/client-grant/client-grant.entity';
import type { TokenReadModel } from '../domain/token-read-model';
import { originOfEntry } from '../lib/cors';
import type { ActiveTokenHook } from '../domain/token-hook/token-hook.service';
import { isDatabaseUnavailable } from '../db/database-errors';
import { clientPublicKeys, ClientPublicKey } from '../domain/client/client-jwks';

export interface CachedClient {
  client: ClientEntity;
  secrets: { hash: string; expiresAt: Date | null }[];
  /** Client.jwks, imported once per load (PRIVATE_KEY_JWT assertions are verified with them). */
  keys: ClientPublicKey[];
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
  /** One entry at most: the origins some client allows, as browsers send them (see allowedOrigins). */
  private origins = new Map<string, Promise<ReadonlySet<string>>>();
  private generation = 0;
  /**
   * The last value each entry loaded, kept across a clear after a reconnection (`clear({ reset:
   * true })`): while the database is unreachable, the hot path answers from it rather than failing.
   * A change notice (something did change) forgets it too.
   */
  private lastKnown = new Map<string, unknown>();

  /** Each map's name in `lastKnown`'s keys. */
  private readonly slotNames = new Map<Map<string, unknown>, string>([
    [this.clients, 'client'],
    [this.apis, 'api'],
    [this.apiIdentifiers, 'apiId'],
    [this.grants, 'grant'],
    [this.origins, 'origins'],
  ]);

  constructor(
    private readonly reads: TokenReadModel,
    private readonly loadTokenHook?: TokenHookLoader,
  ) {}

  /**
   * Drops every entry. `reset`: after the change feed reconnected (notices may have been missed,
   * nothing is known to have changed): the last known values stay as a fallback for a database
   * outage; without it (a change notice), they go too.
   */
  clear(options: { reset?: boolean } = {}): void {
    this.generation++;
    if (!options.reset) this.lastKnown.clear();
    this.clients.clear();
    this.apis.clear();
    this.apiIdentifiers.clear();
    this.grants.clear();
    this.origins.clear();
  }

  client(clientId: string): Promise<CachedClient | null> {
    return this.cached(this.clients, clientId, async () => {
      const found = await this.reads.clientWithLiveSecrets(clientId);
      if (!found) return null;
      return {
        client: found.client,
        secrets: found.secrets.map((s) => ({ hash: s.secretHash, expiresAt: s.expiresAt })),
        keys: clientPublicKeys(found.client.jwks),
      };
    });
  }

  api(identifier: string): Promise<CachedApi | null> {
    return this.cached(this.apis, identifier, async () => {
      const found = await this.reads.apiByIdentifier(identifier);
      if (!found) return null;
      const tokenHook = this.loadTokenHook ? await this.loadTokenHook(found.server.id) : null;
      return { server: found.server, scopes: new Set(found.scopes), tokenHook };
    });
  }

  /** The API by its uuid (resource_servers.id), e.g. the one an authorization code is for. */
  async apiById(id: string): Promise<CachedApi | null> {
    const identifier = await this.cached(this.apiIdentifiers, id, () => this.reads.apiIdentifierById(id));
    if (identifier === null) return null;
    const api = await this.api(identifier);
    // The identifier is immutable, but guard against a different API having taken it since.
    return api && api.server.id === id ? api : null;
  }

  grant(clientUuid: string, serverUuid: string): Promise<ClientGrantEntity | null> {
    return this.cached(this.grants, `${clientUuid}|${serverUuid}`, () => this.reads.grant(clientUuid, serverUuid));
  }

  /** Every origin allowed by some client, for CORS preflights (which carry no client_id). */
  allowedOrigins(): Promise<ReadonlySet<string>> {
    return this.cached(this.origins, '*', async () => new Set((await this.reads.allowedOriginsOfAllClients()).map(originOfEntry)));
  }

  private cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit) return hit;
    const generation = this.generation;
    const slot = `${this.slotNames.get(map)}:${key}`;
    const promise = load().then(
      (value) => {
        if (this.lastKnown.size >= MAX_ENTRIES) this.lastKnown.clear();
        this.lastKnown.set(slot, value);
        return value;
      },
      (error: unknown) => {
        // Unreachable database: the last known value, not cached (the next request asks the database again).
        if (isDatabaseUnavailable(error) && this.lastKnown.has(slot)) {
          if (map.get(key) === promise) map.delete(key);
          return this.lastKnown.get(slot) as T;
        }
        throw error;
      },
    );
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
