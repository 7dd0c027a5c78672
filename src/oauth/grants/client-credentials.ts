import type { ClientEntity } from '../../domain/client/client.entity';
import type { AccessTokenIssuer, IssuedToken } from '../access-token';
import { accessDenied, invalidScope, unauthorizedClient } from '../errors';
import type { CachedApi, Registry } from '../registry';

/**
 * RFC 6749 §4.4 for an authenticated client and a resolved API. Without `requested` the token
 * carries every granted scope; with it, exactly the requested ones, all of which must be granted.
 */
export async function issueClientCredentials(
  deps: { registry: Registry; issuer: AccessTokenIssuer },
  client: ClientEntity,
  api: CachedApi,
  requested: string[] | undefined,
): Promise<IssuedToken> {
  assertClientCredentialsAllowed(client);
  const grant = await deps.registry.grant(client.id, api.server.id);
  if (!grant) throw accessDenied('This client is not authorized for this API');
  // Scopes removed from the API are also removed from grants; intersect anyway for safety.
  const granted = grant.scopes.filter((s) => api.scopes.has(s));
  let scopes = granted;
  if (requested !== undefined) {
    const notGranted = requested.filter((s) => !granted.includes(s));
    if (notGranted.length > 0) {
      throw invalidScope(`Scope not granted to this client: ${notGranted.slice(0, 5).join(' ').slice(0, 300)}`);
    }
    scopes = requested;
  }
  return deps.issuer.issueForClient(client, api, scopes);
}

export function assertClientCredentialsAllowed(client: ClientEntity): void {
  if (!client.grantTypes.includes('CLIENT_CREDENTIALS')) {
    throw unauthorizedClient('This client is not allowed the client_credentials grant');
  }
}
