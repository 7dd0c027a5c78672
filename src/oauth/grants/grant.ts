import type { TokenClient } from '../../domain/token-read-model';
import type { GrantType } from '../../domain/client/client.rules';
import type { UserEntity } from '../../domain/user/user.entity';
import type { AuthorizationCodeService } from '../../domain/authorization/authorization-code.service';
import type { RefreshTokenService } from '../../domain/refresh-token/refresh-token.service';
import type { DeviceAuthorizationService } from '../../domain/device-authorization/device-authorization.service';
import type { Clock } from '../../lib/clock';
import { unauthorizedClient } from '../errors';
import type { Registry } from '../registry';
import type { TokenValidator } from '../token-validator';
import type { AccessTokenVerifier } from '../token-verifier';
import type { RolePermissions } from '../user-policy';
import type { IssuedToken, TokenPipeline } from '../tokens/pipeline';

/** The user directory, as grants need it: the user a code or refresh token acts for. */
export interface UserLookup {
  findById(id: string): Promise<UserEntity | null>;
}

/** What a grant may use: the read model, the token pipeline and the stores of the grants that have one. */
export interface GrantServices {
  registry: Registry;
  pipeline: TokenPipeline;
  clock: Clock;
  users: UserLookup;
  authorizationCodes: Pick<AuthorizationCodeService, 'consume' | 'recordRefused' | 'recordIssued'>;
  refreshTokens: Pick<RefreshTokenService, 'issue' | 'revokeFamily' | 'exchange' | 'findByToken'>;
  /** Token exchange: its subject and actor tokens are checked as introspection checks access tokens (validator) or verified as ID tokens. */
  validator: Pick<TokenValidator, 'validate'>;
  verifier: Pick<AccessTokenVerifier, 'verify'>;
  /** RBAC: a user subject's rights on the target API of a token exchange. */
  roles: RolePermissions;
  deviceAuthorizations: Pick<DeviceAuthorizationService, 'poll'>;
}

/** One token request, after client authentication and the client's grant-type check. */
export interface GrantRequest {
  client: TokenClient;
  params: Map<string, string>;
  /** x-request-id of the HTTP request, for the token context. */
  requestId: string;
  services: GrantServices;
  /** The key thumbprint of the request's valid DPoP proof (RFC 9449), if it had one. */
  dpopJkt?: string;
}

/** The token response of a grant: the access token and, when issued, a refresh token and an ID token (OpenID Connect). */
export type GrantResponse = IssuedToken & {
  refreshToken?: string;
  idToken?: string;
  /** RFC 8693 §2.2.1 `issued_token_type`, for a token exchange. */
  issuedTokenType?: string;
};

/**
 * A grant type of the token endpoint. One file per grant exports one of these; grants/registry.ts
 * lists them. The endpoint dispatches on `grantType`, refuses clients without `requiredClientGrant`
 * (`unauthorized_client`), and discovery lists `grantType` in grant_types_supported.
 */
export interface GrantDefinition {
  /** The grant_type value: an RFC 6749 name or an absolute URI (extension grants, RFC 6749 §4.5). */
  readonly grantType: string;
  /** The client setting (Client.grantTypes) that allows a client this grant. */
  readonly requiredClientGrant: GrantType;
  /** The request parameters it reads, besides grant_type and client authentication's. */
  readonly params: readonly string[];
  handle(request: GrantRequest): Promise<GrantResponse>;
}

/** Whether the client's settings allow it this grant. */
export function isClientAllowed(client: TokenClient, grant: Pick<GrantDefinition, 'requiredClientGrant'>): boolean {
  return client.grantTypes.includes(grant.requiredClientGrant);
}

/** `unauthorized_client` unless the client is allowed this grant. */
export function assertClientAllowed(client: TokenClient, grant: Pick<GrantDefinition, 'grantType' | 'requiredClientGrant'>): void {
  if (!isClientAllowed(client, grant)) {
    throw unauthorizedClient(`This client is not allowed the ${grant.grantType} grant`);
  }
}
