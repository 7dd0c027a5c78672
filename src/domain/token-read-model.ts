import { DataSource, IsNull, MoreThan } from 'typeorm';
import type { Clock } from '../lib/clock';
import { ClientEntity } from './client/client.entity';
import { ClientSecretEntity } from './client/client-secret.entity';
import { ClientGrantEntity } from './client-grant/client-grant.entity';
import { ResourceServerEntity } from './resource-server/resource-server.entity';
import { ScopeEntity } from './resource-server/scope.entity';

/**
 * The reads behind the token service's cached registry (oauth/registry.ts): clients with their
 * usable secrets, APIs with their scopes, client grants. Uncached here; the registry caches.
 */
export class TokenReadModel {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** The client by its OAuth client_id, with its secrets that have not expired; null when unknown. */
  async clientWithLiveSecrets(clientId: string): Promise<{ client: ClientEntity; secrets: ClientSecretEntity[] } | null> {
    const client = await this.dataSource.manager.findOneBy(ClientEntity, { clientId });
    if (!client) return null;
    const secrets = await this.dataSource.manager.find(ClientSecretEntity, {
      where: [
        { clientUuid: client.id, expiresAt: IsNull() },
        { clientUuid: client.id, expiresAt: MoreThan(this.clock.now()) },
      ],
    });
    return { client, secrets };
  }

  /** The client by its uuid (clients.id); null when unknown. */
  clientByUuid(clientUuid: string): Promise<ClientEntity | null> {
    return this.dataSource.manager.findOneBy(ClientEntity, { id: clientUuid });
  }

  /** The API by its identifier (its `aud`), with the values of its scopes (oldest first); null when unknown. */
  apiByIdentifier(identifier: string): Promise<{ server: ResourceServerEntity; scopes: string[] } | null> {
    return this.apiWhere({ identifier });
  }

  /** The API by its uuid, with the values of its scopes (oldest first); null when unknown. */
  apiById(id: string): Promise<{ server: ResourceServerEntity; scopes: string[] } | null> {
    return this.apiWhere({ id });
  }

  private async apiWhere(
    where: { identifier: string } | { id: string },
  ): Promise<{ server: ResourceServerEntity; scopes: string[] } | null> {
    const server = await this.dataSource.manager.findOneBy(ResourceServerEntity, where);
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

  /** Every origin some client allows (allowed_origins of all clients, each once): the CORS preflight's list. */
  async allowedOriginsOfAllClients(): Promise<string[]> {
    const rows: { origin: string }[] = await this.dataSource.query('SELECT DISTINCT unnest(allowed_origins) AS origin FROM clients');
    return rows.map((row) => row.origin);
  }

  /** The client grant of a client (uuid) for an API (uuid); null when there is none. */
  grant(clientUuid: string, apiUuid: string): Promise<ClientGrantEntity | null> {
    return this.dataSource.manager.findOneBy(ClientGrantEntity, { clientUuid, resourceServerId: apiUuid });
  }
}
