import type { ResourceServerEntity } from '../domain/resource-server/resource-server.entity';
import DataLoader from 'dataloader';
import {
  READ_BATCH_MAX,
  type ApiForTokens,
  type ClientForTokens,
  type TokenClient,
  type TokenGrant,
  type TokenReadModel,
} from '../domain/token-read-model';
import type { TokenHookEntity } from '../domain/token-hook/token-hook.entity';
import type { ActiveTokenHook } from '../domain/token-hook/token-hook.service';
import { grantChangeId } from '../db/change-feed';
import { AllowedOrigins } from './allowed-origins';
import { LoadCache, type LoadCacheSize } from './load-cache';
import { clientPublicKeys, ClientPublicKey } from '../domain/client/client-jwks';

export interface CachedClient {
  client: TokenClient;
  /**
   * Its secrets that had not expired when read (SHA-256 hex hashes): the usual one secret that never
   * expires as its hash alone, otherwise a list (read them with liveSecretHashes).
   */
  secrets: string | readonly CachedSecret[];
  /** Client.jwks, imported once per load (PRIVATE_KEY_JWT assertions are verified with them). */
  keys: ClientPublicKey[];
  /**
   * Every client grant of the client, read with it; undefined when it has too many (then read one
   * by one). One grant as itself, more as an array searched by API uuid: most clients hold one or a
   * few, and an array (or a Map) per client costs more memory than the search time it saves.
   */
  grants?: TokenGrant | readonly TokenGrant[];
}

/** A client secret as cached: its SHA-256 hex hash and expiry (ms since the epoch; null: never). */
export interface CachedSecret {
  hash: string;
  expiresAt: number | null;
}

/** The hashes of a cached client's secrets that have not expired at `now` (ms since the epoch). */
export function liveSecretHashes(cached: Pick<CachedClient, 'secrets'>, now: number): string[] {
  if (typeof cached.secrets === 'string') return [cached.secrets];
  return cached.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.hash);
}

/** The grants of a cached client as a list; undefined when they were not read with it. */
function grantsOf(cached: CachedClient): readonly TokenGrant[] | undefined {
  const grants = cached.grants;
  return grants === undefined || Array.isArray(grants) ? (grants as readonly TokenGrant[] | undefined) : [grants as TokenGrant];
}

export interface CachedApi {
  server: ResourceServerEntity;
  scopes: ReadonlySet<string>;
  /** The API's token hook, secret opened (memory only); null or absent: none. */
  tokenHook?: ActiveTokenHook | null;
}

/** Opens the secret of an API's token hook, read with the API (see TokenHookService.open). */
export type TokenHookOpener = (hook: TokenHookEntity) => ActiveTokenHook;

/**
 * Loads keys one at a time for its callers and many at a time from the database: the keys missed
 * during one turn of the event loop (the requests read from every socket that had data) are read in
 * one statement when it ends (setImmediate), at most READ_BATCH_MAX each. Under load, a burst of
 * first requests from new clients costs a few round trips, not one each. No cache of its own: the
 * LoadCache in front of it coalesces and keeps.
 */
function batchLoader<T>(readMany: (keys: readonly string[]) => Promise<Map<string, T>>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(
    async (keys) => {
      const found = await readMany(keys);
      return keys.map((key) => found.get(key) ?? null);
    },
    { cache: false, maxBatchSize: READ_BATCH_MAX, batchScheduleFn: (callback) => setImmediate(callback) },
  );
}

/** How many entries each of the registry's caches keeps (REGISTRY_CACHE_ENTRIES, REGISTRY_MISSING_ENTRIES). */
export type RegistrySize = LoadCacheSize;

/** The registry's cache statistics: lookups answered from memory and lookups that went to the database. */
export interface RegistryStats {
  cache: 'clients' | 'apis' | 'api_ids' | 'grants';
  hits: number;
  misses: number;
}

/**
 * What a million cached clients would otherwise each hold a copy of: one frozen empty array and one
 * frozen empty object for clients without callbacks, origins, logout URLs, keys or metadata (most
 * machine clients), one string per setting value, API id and scope (the driver makes a new string per
 * row), and one frozen array per list of grant types or scopes. Frozen: a cached client is shared
 * by every request and never changed.
 */
const NONE = Object.freeze([]) as never[];
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});
/** Setting values, API ids, scopes and their lists are few next to clients; past this many distinct ones, new ones are kept as read. */
const SHARED_MAX = 100_000;
const sharedStrings = new Map<string, string>();
const sharedLists = new Map<string, readonly string[]>();

function shared<T extends string>(value: T): T {
  const known = sharedStrings.get(value);
  if (known !== undefined) return known as T;
  if (sharedStrings.size < SHARED_MAX) sharedStrings.set(value, value);
  return value;
}

/** One frozen array per list of values (grant types, a grant's scopes), its values shared. */
function sharedList<T extends string>(values: readonly T[]): T[] {
  if (values.length === 0) return NONE;
  // A separator no value holds (grant types and scopes have no control characters; a list that
  // had one would still only share with an equal list).
  const key = values.join('\u0000');
  const known = sharedLists.get(key);
  if (known !== undefined && known.length === values.length && known.every((v, i) => v === values[i])) return known as T[];
  const list = Object.freeze(values.map(shared)) as T[];
  if (known === undefined && sharedLists.size < SHARED_MAX) sharedLists.set(key, list);
  return list;
}

/**
 * The client as cached: a plain object with exactly TokenClient's fields (TypeScript holds it to
 * every one), all in the object itself, where the entity TypeORM made keeps most in a second
 * array; its client_id the string the cache is keyed by.
 */
function compactClient(client: TokenClient, clientId: string): TokenClient {
  const none = <T>(list: T[]): T[] => (list.length === 0 ? NONE : list);
  const compact: TokenClient = {
    id: client.id,
    clientId: client.clientId === clientId ? clientId : client.clientId,
    name: client.name,
    appType: shared(client.appType),
    isFirstParty: client.isFirstParty,
    grantTypes: sharedList(client.grantTypes),
    tokenEndpointAuthMethod: shared(client.tokenEndpointAuthMethod),
    callbacks: none(client.callbacks),
    allowedOrigins: none(client.allowedOrigins),
    allowedLogoutUrls: none(client.allowedLogoutUrls),
    idTokenSigningAlgorithm: shared(client.idTokenSigningAlgorithm),
    idTokenLifetime: client.idTokenLifetime,
    refreshTokenRotation: shared(client.refreshTokenRotation),
    refreshTokenLeeway: client.refreshTokenLeeway,
    refreshTokenAbsoluteLifetime: client.refreshTokenAbsoluteLifetime,
    refreshTokenIdleLifetime: client.refreshTokenIdleLifetime,
    metadata: Object.keys(client.metadata).length === 0 ? (NO_METADATA as Record<string, string>) : client.metadata,
    jwks: client.jwks,
    requirePushedAuthorizationRequests: client.requirePushedAuthorizationRequests,
    builtin: client.builtin,
  };
  return compact;
}

/** The secrets of a cached client (see CachedClient.secrets). */
function compactSecrets(secrets: ClientForTokens['secrets']): CachedClient['secrets'] {
  if (secrets.length === 1 && secrets[0].expiresAt === null) return secrets[0].hash;
  if (secrets.length === 0) return NONE;
  return secrets.map((s) => ({ hash: s.hash, expiresAt: s.expiresAt === null ? null : s.expiresAt.getTime() }));
}

/** The grant of a cached client: its clientUuid the client's own id string, its API id and scopes shared. */
function compactGrant(grant: TokenGrant, client: TokenClient): TokenGrant {
  return { clientUuid: client.id, resourceServerId: shared(grant.resourceServerId), scopes: sharedList(grant.scopes) };
}

/** The grants of a cached client (see CachedClient.grants). */
function compactGrants(grants: TokenGrant[] | null, client: TokenClient): CachedClient['grants'] {
  if (grants === null) return undefined;
  if (grants.length === 0) return NONE;
  return grants.length === 1 ? compactGrant(grants[0], client) : grants.map((grant) => compactGrant(grant, client));
}

/** key → the cached keys it covers (e.g. a client uuid → its grants' keys), for targeted invalidation. */
class KeySets {
  private readonly sets = new Map<string, Set<string>>();
  add(owner: string, key: string): void {
    let set = this.sets.get(owner);
    if (!set) this.sets.set(owner, (set = new Set()));
    set.add(key);
  }
  remove(owner: string, key: string): void {
    const set = this.sets.get(owner);
    if (set?.delete(key) && set.size === 0) this.sets.delete(owner);
  }
  take(owner: string): string[] {
    const keys = [...(this.sets.get(owner) ?? [])];
    this.sets.delete(owner);
    return keys;
  }
}

/**
 * The token endpoint's read model: clients, APIs and grants, cached in process, each in a bounded
 * LRU with its misses (unknown ids) kept apart (see LoadCache). A committed change, on any
 * instance, drops exactly the entries it touches (`applyChange`): a client, its grants and the
 * origins it allows; an API, its id and its grants; one grant. Changes to users, roles, consents or
 * keys touch nothing here. After the change feed reconnected, every entry reloads on next use
 * (`clear({ reset: true })`).
 */
export class Registry {
  /** By client_id. */
  private readonly clients: LoadCache<CachedClient>;
  /** By identifier. */
  private readonly apis: LoadCache<CachedApi>;
  /** API uuid → identifier (then `apis`). */
  private readonly apiIdentifiers: LoadCache<string>;
  /** By `<client uuid>|<API uuid>`. */
  private readonly grants: LoadCache<TokenGrant>;
  /** The origins some client allows, held per client (see originAllowedByAnyClient). */
  private readonly origins: AllowedOrigins;
  /** Client uuid → client_id, API uuid → identifier, of the entries cached. */
  private readonly clientIds = new Map<string, string>();
  private readonly apiKeys = new Map<string, string>();
  /** Client uuid, API uuid → the grant keys cached for it. */
  private readonly grantsOfClient = new KeySets();
  private readonly grantsOfApi = new KeySets();
  /** API uuid → the client_ids of cached clients holding a grant for it (CachedClient.grants). */
  private readonly clientsOfApi = new KeySets();
  /** Grant lookups answered from a cached client's grants. */
  private embeddedGrantHits = 0;
  /** The database reads of cache misses, batched. */
  private readonly clientReads: DataLoader<string, ClientForTokens | null>;
  private readonly apiReads: DataLoader<string, ApiForTokens | null>;

  constructor(
    private readonly reads: TokenReadModel,
    private readonly openTokenHook: TokenHookOpener,
    size: RegistrySize = { entries: 1_000_000, missingEntries: 100_000 },
  ) {
    this.origins = new AllowedOrigins(reads);
    this.clientReads = batchLoader((clientIds) => reads.clientsForTokens(clientIds));
    this.apiReads = batchLoader((identifiers) => reads.apisForTokens(identifiers));
    this.clients = new LoadCache<CachedClient>(size, {
      add: (clientId, cached) => {
        this.clientIds.set(cached.client.id, clientId);
        for (const grant of grantsOf(cached) ?? NONE) this.clientsOfApi.add(grant.resourceServerId, clientId);
      },
      remove: (clientId, cached) => {
        this.clientIds.delete(cached.client.id);
        for (const grant of grantsOf(cached) ?? NONE) this.clientsOfApi.remove(grant.resourceServerId, clientId);
      },
    });
    this.apis = new LoadCache<CachedApi>(size, {
      add: (identifier, cached) => this.apiKeys.set(cached.server.id, identifier),
      remove: (_identifier, cached) => this.apiKeys.delete(cached.server.id),
    });
    this.apiIdentifiers = new LoadCache<string>(size);
    this.grants = new LoadCache<TokenGrant>(size, {
      add: (key, grant) => {
        this.grantsOfClient.add(grant.clientUuid, key);
        this.grantsOfApi.add(grant.resourceServerId, key);
      },
      remove: (key, grant) => {
        this.grantsOfClient.remove(grant.clientUuid, key);
        this.grantsOfApi.remove(grant.resourceServerId, key);
      },
    });
  }

  /**
   * Drops what a committed change touched (`topic`, `id` as ChangeFeed.publish sent them). A topic
   * it does not know drops everything, so a newer instance's notice is never ignored.
   */
  applyChange(topic: string, id: string): void {
    switch (topic) {
      case 'client': {
        const clientId = this.clientIds.get(id);
        if (clientId !== undefined) this.clients.delete(clientId);
        // A client still loading is not indexed yet: what it read may predate this change.
        this.clients.dropLoading();
        // A new client may carry an id some request did not find.
        this.clients.forgetMissing();
        for (const key of this.grantsOfClient.take(id)) this.grants.delete(key);
        this.origins.clientChanged(id);
        return;
      }
      case 'client_grant': {
        // `<client uuid>|<API uuid>` (grantChangeId): that entry, found or missing, and the client holding its grants.
        if (!id.includes('|')) return this.clear();
        const [clientUuid] = id.split('|');
        this.grants.delete(id);
        const clientId = this.clientIds.get(clientUuid);
        if (clientId !== undefined) this.clients.delete(clientId);
        this.clients.dropLoading();
        return;
      }
      case 'resource_server': {
        const identifier = this.apiKeys.get(id);
        if (identifier !== undefined) this.apis.delete(identifier);
        this.apis.dropLoading();
        this.clients.dropLoading();
        this.apis.forgetMissing();
        this.apiIdentifiers.delete(id);
        // Removing an API's scopes rewrites its grants; deleting it deletes them.
        for (const key of this.grantsOfApi.take(id)) this.grants.delete(key);
        for (const clientId of this.clientsOfApi.take(id)) this.clients.delete(clientId);
        return;
      }
      case 'user':
      case 'role':
      case 'signing_key':
        return;
      default:
        this.clear();
    }
  }

  /**
   * Drops every entry. `reset`: after the change feed reconnected (notices may have been missed,
   * nothing is known to have changed): every entry reloads on next use, its last value kept as a
   * fallback for a database outage; without it, they go entirely.
   */
  clear(options: { reset?: boolean } = {}): void {
    for (const cache of [this.clients, this.apis, this.apiIdentifiers, this.grants]) {
      if (options.reset) cache.markAllStale();
      else cache.clear();
    }
    if (options.reset) this.origins.reset();
    else this.origins.clear();
  }

  /** Hits and misses of each cache since the start (for metrics and tests). */
  stats(): RegistryStats[] {
    const of = (cache: RegistryStats['cache'], c: { hits: number; misses: number }) => ({ cache, hits: c.hits, misses: c.misses });
    const grants = { hits: this.grants.hits + this.embeddedGrantHits, misses: this.grants.misses };
    return [of('clients', this.clients), of('apis', this.apis), of('api_ids', this.apiIdentifiers), of('grants', grants)];
  }

  client(clientId: string): Promise<CachedClient | null> {
    return this.clients.get(clientId, async () => {
      const found = await this.clientReads.load(clientId);
      if (!found) return null;
      const client = compactClient(found.client, clientId);
      return {
        client,
        secrets: compactSecrets(found.secrets),
        keys: client.jwks ? clientPublicKeys(client.jwks) : NONE,
        grants: compactGrants(found.grants, client),
      };
    });
  }

  api(identifier: string): Promise<CachedApi | null> {
    return this.apis.get(identifier, async () => {
      const found = await this.apiReads.load(identifier);
      if (!found) return null;
      const tokenHook = found.hook ? this.openTokenHook(found.hook) : null;
      return { server: found.server, scopes: new Set(found.scopes), tokenHook };
    });
  }

  /** The API by its uuid (resource_servers.id), e.g. the one an authorization code is for. */
  async apiById(id: string): Promise<CachedApi | null> {
    const identifier = await this.apiIdentifiers.get(id, () => this.reads.apiIdentifierById(id));
    if (identifier === null) return null;
    const api = await this.api(identifier);
    // The identifier is immutable, but guard against a different API having taken it since.
    return api && api.server.id === id ? api : null;
  }

  /** The client grant of a client for an API: from the cached client when it holds all its grants, else looked up. */
  grant(clientUuid: string, serverUuid: string): Promise<TokenGrant | null> {
    const clientId = this.clientIds.get(clientUuid);
    const embedded = clientId === undefined ? undefined : this.clients.peek(clientId)?.grants;
    if (embedded) {
      this.embeddedGrantHits++;
      const found = Array.isArray(embedded)
        ? (embedded as readonly TokenGrant[]).find((grant) => grant.resourceServerId === serverUuid)
        : (embedded as TokenGrant).resourceServerId === serverUuid
          ? (embedded as TokenGrant)
          : undefined;
      return Promise.resolve(found ?? null);
    }
    return this.grants.get(grantChangeId(clientUuid, serverUuid), () => this.reads.grant(clientUuid, serverUuid));
  }

  /** True when some client allows `origin`: for CORS preflights (which carry no client_id). */
  originAllowedByAnyClient(origin: string): Promise<boolean> {
    return this.origins.allowedByAnyClient(origin);
  }
}
