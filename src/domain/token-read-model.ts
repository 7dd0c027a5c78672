import { DataSource } from 'typeorm';
import type { Clock } from '../lib/clock';
import { preparedQuery } from '../db/prepared-statement';
import { hydrate, selectList } from '../db/hydrate';
import { ClientEntity } from './client/client.entity';
import { ClientGrantEntity } from './client-grant/client-grant.entity';
import { ResourceServerEntity } from './resource-server/resource-server.entity';
import { ScopeEntity } from './resource-server/scope.entity';
import { TokenHookEntity } from './token-hook/token-hook.entity';

/** Grants read with their client (see clientsForTokens); a client with more has them read one by one. */
export const CLIENT_GRANTS_READ_MAX = 100;

/** Keys read in one statement at most by clientsForTokens and apisForTokens. */
export const READ_BATCH_MAX = 100;

/** A batch of keys for `= ANY($1)`; more than READ_BATCH_MAX is a caller's bug, not a bigger statement. */
function readBatch(keys: readonly string[]): readonly string[] {
  if (keys.length > READ_BATCH_MAX) throw new RangeError(`at most ${READ_BATCH_MAX} keys per read, not ${keys.length}`);
  return keys;
}

/**
 * A client as the token service reads it: every setting, without what only the Management API
 * shows (its description, position and timestamps). Cached for up to a million clients: each field
 * left out is memory not held per client.
 */
export type TokenClient = Omit<ClientEntity, 'seq' | 'description' | 'createdAt' | 'updatedAt'>;
const NOT_READ_FOR_TOKENS: ReadonlySet<string> = new Set(['seq', 'description', 'createdAt', 'updatedAt']);

/** A client grant as the token service reads it: whose, for which API, which scopes (its own id is never read). */
export type TokenGrant = Pick<ClientGrantEntity, 'clientUuid' | 'resourceServerId' | 'scopes'>;

export interface ClientForTokens {
  client: TokenClient;
  /** Its secrets that had not expired when read: SHA-256 hash and expiry. */
  secrets: { hash: string; expiresAt: Date | null }[];
  /** Every client grant of the client; null when it has more than CLIENT_GRANTS_READ_MAX. */
  grants: TokenGrant[] | null;
}

/** A client's allowed origins (Auth0's "Allowed Origins (CORS)"), as stored. */
export interface ClientOrigins {
  clientUuid: string;
  origins: string[];
}

/** Rows of `SELECT id, allowed_origins FROM clients`. */
function originsOf(rows: { id: string; allowed_origins: string[] }[]): ClientOrigins[] {
  return rows.map((row) => ({ clientUuid: row.id, origins: row.allowed_origins }));
}

export interface ApiForTokens {
  server: ResourceServerEntity;
  /** The values of its scopes, oldest first. */
  scopes: string[];
  /** Its token hook, secret sealed; null: none. */
  hook: TokenHookEntity | null;
}

/**
 * The reads behind the token service's cached registry (oauth/registry.ts): clients with their
 * usable secrets, APIs with their scopes, client grants. Uncached here; the registry caches.
 */
export class TokenReadModel {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    /** Named prepared statements for the hot reads (db/prepared-statement.ts): on an external PostgreSQL. */
    private readonly options: { preparedStatements: boolean } = { preparedStatements: false },
  ) {}

  /** The select list of clientsForTokens. */
  private clientColumns: string | undefined;

  /**
   * Clients by their OAuth client_id, each with its secrets that have not expired and (when it has
   * at most CLIENT_GRANTS_READ_MAX) all its client grants, in one statement for all of them: the
   * clients the token endpoint has not seen yet cost one round trip together (the registry batches
   * concurrent misses; at most READ_BATCH_MAX ids). `grants` is null for a client with more; its
   * grants are then read one by one. Unknown ids are absent from the map.
   */
  async clientsForTokens(clientIds: readonly string[]): Promise<Map<string, ClientForTokens>> {
    // The entity's columns, not c.*: a column a newer instance's migration adds would otherwise
    // change the prepared statement's result type ("cached plan must not change result type").
    this.clientColumns ??= this.dataSource
      .getMetadata(ClientEntity)
      .columns.filter((column) => !NOT_READ_FOR_TOKENS.has(column.propertyName))
      .map((column) => `c.${column.databaseName}`)
      .join(', ');
    const rows = await preparedQuery(
      this.dataSource,
      {
        name: 'clients_for_tokens',
        text: `SELECT ${this.clientColumns},
         (SELECT COALESCE(json_agg(s), '[]') FROM
            (SELECT secret_hash, expires_at FROM client_secrets WHERE client_id = c.id AND (expires_at IS NULL OR expires_at > $2)) s
         ) AS live_secrets,
         (SELECT COALESCE(json_agg(g), '[]') FROM
            (SELECT client_id, resource_server_id, scopes FROM client_grants WHERE client_id = c.id ORDER BY seq LIMIT ${CLIENT_GRANTS_READ_MAX + 1}) g
         ) AS all_grants
       FROM clients c WHERE c.client_id = ANY($1::text[])`,
        values: [readBatch(clientIds), this.clock.now()],
      },
      this.options.preparedStatements,
    );
    const found = new Map<string, ClientForTokens>();
    for (const row of rows) {
      const secrets = (row.live_secrets as { secret_hash: string; expires_at: string | null }[]).map((s) => ({
        hash: s.secret_hash,
        expiresAt: s.expires_at === null ? null : new Date(s.expires_at),
      }));
      const grants = row.all_grants as Record<string, unknown>[];
      const client = hydrate(this.dataSource, ClientEntity, row);
      found.set(client.clientId, {
        client,
        secrets,
        grants: grants.length > CLIENT_GRANTS_READ_MAX ? null : grants.map((g) => hydrate(this.dataSource, ClientGrantEntity, g)),
      });
    }
    return found;
  }

  /** The client by its uuid (clients.id); null when unknown. */
  clientByUuid(clientUuid: string): Promise<ClientEntity | null> {
    return this.dataSource.manager.findOneBy(ClientEntity, { id: clientUuid });
  }

  /** The select lists of apisForTokens. */
  private apiColumns: { server: string; hook: string } | undefined;

  /**
   * APIs by their identifier (their `aud`), each with the values of its scopes (oldest first) and
   * its token hook (secret still sealed), in one statement for all of them (at most
   * READ_BATCH_MAX). Unknown identifiers are absent from the map.
   */
  async apisForTokens(identifiers: readonly string[]): Promise<Map<string, ApiForTokens>> {
    // The entities' columns (see clientsForTokens).
    this.apiColumns ??= {
      server: selectList(this.dataSource, ResourceServerEntity, 'r'),
      hook: selectList(this.dataSource, TokenHookEntity, 'h'),
    };
    const rows = await preparedQuery(
      this.dataSource,
      {
        name: 'apis_for_tokens',
        text: `SELECT ${this.apiColumns.server},
         (SELECT COALESCE(json_agg(s.value ORDER BY s.seq), '[]') FROM scopes s WHERE s.resource_server_id = r.id) AS scope_values,
         (SELECT row_to_json(h) FROM (SELECT ${this.apiColumns.hook} FROM token_hooks h WHERE h.resource_server_id = r.id) h) AS hook
       FROM resource_servers r WHERE r.identifier = ANY($1::text[])`,
        values: [readBatch(identifiers)],
      },
      this.options.preparedStatements,
    );
    const found = new Map<string, ApiForTokens>();
    for (const row of rows) {
      const server = hydrate(this.dataSource, ResourceServerEntity, row);
      const hook = row.hook as Record<string, unknown> | null;
      found.set(server.identifier, {
        server,
        scopes: row.scope_values as string[],
        hook: hook === null ? null : hydrate(this.dataSource, TokenHookEntity, hook),
      });
    }
    return found;
  }

  /** The API by its uuid, with the values of its scopes (oldest first); null when unknown. */
  async apiById(id: string): Promise<{ server: ResourceServerEntity; scopes: string[] } | null> {
    const server = await this.dataSource.manager.findOneBy(ResourceServerEntity, { id });
    if (!server) return null;
    const scopes = await this.dataSource.manager.find(ScopeEntity, {
      where: { resourceServerId: server.id },
      select: { value: true },
      order: { seq: 'ASC' },
    });
    return { server, scopes: scopes.map((s) => s.value) };
  }

  /** The identifier of the API with this uuid (resource_servers.id); null when unknown. */
  async apiIdentifierById(apiUuid: string): Promise<string | null> {
    const server = await this.dataSource.manager.findOne(ResourceServerEntity, { where: { id: apiUuid }, select: { identifier: true } });
    return server?.identifier ?? null;
  }

  /** Every client that allows an origin (CORS), with its allowed_origins as stored. */
  async clientsAllowingOrigins(): Promise<ClientOrigins[]> {
    return originsOf(await this.dataSource.query('SELECT id, allowed_origins FROM clients WHERE cardinality(allowed_origins) > 0'));
  }

  /** The allowed_origins of the clients with these uuids (at most READ_BATCH_MAX); a deleted client is absent. */
  async originsOfClients(clientUuids: readonly string[]): Promise<ClientOrigins[]> {
    return originsOf(
      await this.dataSource.query('SELECT id, allowed_origins FROM clients WHERE id = ANY($1::uuid[])', [readBatch(clientUuids)]),
    );
  }

  /** The client grant of a client (uuid) for an API (uuid); null when there is none. */
  grant(clientUuid: string, apiUuid: string): Promise<TokenGrant | null> {
    return this.dataSource.manager.findOneBy(ClientGrantEntity, { clientUuid, resourceServerId: apiUuid });
  }
}
