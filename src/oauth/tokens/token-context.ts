import type { TokenClient } from '../../domain/token-read-model';
import type { UserEntity } from '../../domain/user/user.entity';
import type { CachedApi } from '../registry';
import { type Delegation, EXCHANGED_FROM } from './delegation';

/**
 * Everything the token pipeline knows about one issuance: who asks (client), for what (API,
 * scopes), on whose behalf (user, or null for a machine token), and how (grant type).
 */
export interface TokenContext {
  /** The OAuth grant_type value (`client_credentials`, `authorization_code`, `refresh_token`, `implicit`, …). */
  grantType: string;
  client: TokenClient;
  api: CachedApi;
  /** The user the token acts for; null for machine tokens. */
  user: UserEntity | null;
  /** The scopes granted (consented or held through a client grant), before the user policy (RBAC). */
  scopes: string[];
  /** The sign-in session the token comes from, when there is one. */
  sessionId?: string;
  /** The HTTP request (x-request-id) that asked for it, for logs and audit. */
  requestId?: string;
  /** Token exchange (RFC 8693) only: the subject's `sub` kept, `act`, and the tokens it is exchanged from. */
  delegation?: Delegation;
  /** The RFC 7638 thumbprint of the key of the request's DPoP proof, when it carried a valid one. */
  dpopJkt?: string;
}

/**
 * Claims no hook, metadata or extension may set: the pipeline sets them last, overwriting anything
 * a custom-claims source returned. One list, used by the pipeline and by the hook's validation.
 */
export const PROTECTED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'client_id',
  'azp',
  'scope',
  'gty',
  'permissions',
  'cnf',
  'act',
  'sid',
  'auth_time',
  'nonce',
  EXCHANGED_FROM,
]);

/**
 * A source of custom claims (Auth0's "add custom claims", Hydra's token hook), called by the
 * pipeline before the protected claims are set. Returns undefined synchronously when it has
 * nothing to add for this context, so an API without custom claims pays no await on the hot path.
 * It may throw an OAuthError to refuse the token (e.g. `access_denied`).
 */
export interface CustomClaimsSource {
  claimsFor(context: TokenContext): Promise<Record<string, unknown>> | undefined;
}
