import { CLIENT_ID_MAX } from '../../domain/client/client.rules';
import type { Clock } from '../../lib/clock';
import { endpointUrl } from '../../lib/issuer-url';
import { invalidClient } from '../errors';
import type { CachedClient, Registry } from '../registry';
import type { ClientAuthMethod, VerifyContext } from './method';
import type { ReplayStore } from '../replay-store';
import { CLIENT_AUTH_METHODS } from './registry';

export interface AuthenticatedClient extends CachedClient {
  method: ClientAuthMethod;
}

/** The request as client authentication reads it (a Fastify request is one). */
export interface ClientAuthRequest {
  headers: { authorization?: string };
  log: { debug(details: Record<string, unknown>, message: string): void };
}

/** Authenticates the client of one endpoint's requests. */
export type AuthenticateClient = (request: ClientAuthRequest, params: Map<string, string>) => Promise<AuthenticatedClient>;

/**
 * Authenticates the client of a token, introspection or revocation request with the one method it
 * is registered for. The method is the first of CLIENT_AUTH_METHODS the request uses; no
 * credentials at all, an unknown client and a wrong secret or assertion give the same
 * `invalid_client` (the reason is logged at debug level only). A known client presented by another
 * method hears which one it is registered for: client_ids are not secrets, and the presented
 * secret or assertion is not judged (it is verified as an unknown client's would be).
 */
export class ClientAuthenticator {
  constructor(
    private readonly deps: {
      registry: Registry;
      clock: Clock;
      /** The issuer: an accepted `aud` of client assertions, and the base of the endpoints' URLs. */
      issuer: string;
      assertions: ReplayStore;
    },
  ) {}

  /**
   * The authentication of the endpoint at `path`: client assertions there may be addressed to the
   * issuer, the token endpoint, or that endpoint (RFC 7523 §3, item 3).
   */
  at(path: string): AuthenticateClient {
    const { issuer } = this.deps;
    const audiences = [...new Set([issuer, endpointUrl(issuer, '/oauth/token'), endpointUrl(issuer, path)])];
    const context: VerifyContext = { clock: this.deps.clock, audiences, assertions: this.deps.assertions };
    return (request, params) => this.authenticate(request, params, context);
  }

  private async authenticate(
    request: ClientAuthRequest,
    params: Map<string, string>,
    context: VerifyContext,
  ): Promise<AuthenticatedClient> {
    const authorization = request.headers.authorization;
    for (const method of CLIENT_AUTH_METHODS) {
      const presented = method.read(authorization, params);
      if (presented === undefined) continue;
      const cached = presented.clientId.length <= CLIENT_ID_MAX ? await this.deps.registry.client(presented.clientId) : null;
      const registeredHere = cached !== null && cached.client.tokenEndpointAuthMethod === method.registeredAs;
      // Another method's client is verified as an unknown one: the same work, and nothing of it used.
      const problem = await method.verify(presented, registeredHere ? cached : null, context);
      const reason = !cached
        ? 'unknown client'
        : !registeredHere
          ? `client registered for ${cached.client.tokenEndpointAuthMethod}`
          : problem;
      if (reason !== undefined) {
        request.log.debug(
          { clientId: cached ? cached.client.clientId : undefined, method: method.name, reason },
          'client authentication failed',
        );
        throw invalidClient(
          method.usesAuthorizationHeader,
          cached && !registeredHere ? `This client is registered for ${cached.client.tokenEndpointAuthMethod.toLowerCase()}` : undefined,
        );
      }
      return { ...cached!, method };
    }
    request.log.debug({ reason: 'no client credentials' }, 'client authentication failed');
    throw invalidClient(false);
  }
}
