import type { TokenEndpointAuthMethod } from '../../domain/client/client.rules';
import type { Clock } from '../../lib/clock';
import type { CachedClient } from '../registry';

/** What a request presents to authenticate a client. */
export interface PresentedCredentials {
  clientId: string;
  secret?: string;
}

/**
 * A client authentication method (RFC 6749 §2.3, RFC 8414 `*_auth_methods_supported`). One file
 * per method exports one of these; client-auth/registry.ts lists them.
 */
export interface ClientAuthMethod {
  /** The registered name (IANA "OAuth Token Endpoint Authentication Methods"): client_secret_basic, … */
  readonly name: string;
  /** The client setting (Client.tokenEndpointAuthMethod) of the clients that authenticate this way. */
  readonly registeredAs: TokenEndpointAuthMethod;
  /** It proves a credential (confidential clients); introspection accepts only these. */
  readonly confidential: boolean;
  /** It uses the Authorization header: its failures carry a `WWW-Authenticate: Basic` challenge. */
  readonly usesAuthorizationHeader: boolean;
  /**
   * The credentials the request presents with this method; undefined when it does not use it.
   * Throws `invalid_request` (or `invalid_client`) for a malformed attempt.
   */
  read(authorization: string | undefined, params: Map<string, string>): PresentedCredentials | undefined;
  /**
   * Whether the credentials prove the client (`cached` null: unknown client, checked with the same
   * work so the two cannot be told apart). The registered method is checked by the caller.
   */
  verify(presented: PresentedCredentials, cached: CachedClient | null, clock: Clock): boolean;
}
