import type { TokenEndpointAuthMethod } from '../../domain/client/client.rules';
import type { Clock } from '../../lib/clock';
import type { CachedClient } from '../registry';
import type { ReplayStore } from '../replay-store';

/** Body parameters that carry a client's credentials (besides client_id): never part of what the request asks for. */
export const CREDENTIAL_PARAMS: readonly string[] = ['client_secret', 'client_assertion_type', 'client_assertion'];

/** What a request presents to authenticate a client. */
export interface PresentedCredentials {
  clientId: string;
  secret?: string;
  /** A signed client assertion (RFC 7523 §2.2), unverified. */
  assertion?: string;
}

/** What `verify` may use besides the request: the time, and for assertions their audiences and replay store. */
export interface VerifyContext {
  clock: Clock;
  /** The `aud` values an assertion may carry here: the issuer, the token endpoint, the endpoint called. */
  audiences: readonly string[];
  assertions: ReplayStore;
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
  /** The JWS algorithms of its signed credentials (discovery's `*_auth_signing_alg_values_supported`); none: it signs nothing. */
  readonly signingAlgorithms?: readonly string[];
  /**
   * The credentials the request presents with this method; undefined when it does not use it.
   * Pure and cheap (no I/O, no signature check): callers may read the presented client_id alone.
   * Throws `invalid_request` (or `invalid_client`) for a malformed attempt.
   */
  read(authorization: string | undefined, params: Map<string, string>): PresentedCredentials | undefined;
  /**
   * Whether the credentials prove the client: undefined when they do, else why not (for the debug
   * log, never for the answer). `cached` null: unknown client, or one registered for another method;
   * the secret methods check it with the same work so the cases cannot be told apart.
   */
  verify(presented: PresentedCredentials, cached: CachedClient | null, context: VerifyContext): Promise<string | undefined>;
}
