import type { ResourceServerService } from '../domain/resource-server/resource-server.service';
import type { ClientService } from '../domain/client/client.service';
import type { ClientGrantService } from '../domain/client-grant/client-grant.service';
import type { Loaders } from './loaders';
import type { TestTokenService } from '../oauth/test-tokens';

export interface Services {
  resourceServers: ResourceServerService;
  clients: ClientService;
  clientGrants: ClientGrantService;
  tokens: TestTokenService;
}

/** Who is calling, from a verified access token (set by the HTTP layer). */
export interface Principal {
  /** `sub` of the token. */
  subject: string;
  clientId: string;
  scopes: ReadonlySet<string>;
}

export interface GraphQLContext {
  services: Services;
  loaders: Loaders;
  /** Null when the request carried no valid token. */
  principal: Principal | null;
  requestId: string;
}
