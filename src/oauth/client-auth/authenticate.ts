import { CLIENT_ID_MAX } from '../../domain/client/client.rules';
import type { Clock } from '../../lib/clock';
import { invalidClient } from '../errors';
import type { CachedClient, Registry } from '../registry';
import type { ClientAuthMethod } from './method';
import { CLIENT_AUTH_METHODS } from './registry';

export interface AuthenticatedClient extends CachedClient {
  method: ClientAuthMethod;
}

/**
 * Authenticates the client of a token, introspection or revocation request with the one method it
 * is registered for. The method is the first of CLIENT_AUTH_METHODS the request uses; no
 * credentials at all, an unknown client, a wrong secret and a wrong method all give the same
 * `invalid_client`.
 */
export async function authenticateClient(
  deps: { registry: Registry; clock: Clock },
  authorization: string | undefined,
  params: Map<string, string>,
): Promise<AuthenticatedClient> {
  for (let i = 0; i < CLIENT_AUTH_METHODS.length; i++) {
    const method = CLIENT_AUTH_METHODS[i];
    const presented = method.read(authorization, params);
    if (presented === undefined) continue;
    const cached = presented.clientId.length <= CLIENT_ID_MAX ? await deps.registry.client(presented.clientId) : null;
    const proven = method.verify(presented, cached, deps.clock);
    if (!cached || !proven || cached.client.tokenEndpointAuthMethod !== method.registeredAs) {
      throw invalidClient(method.usesAuthorizationHeader);
    }
    return { ...cached, method };
  }
  throw invalidClient(false);
}
