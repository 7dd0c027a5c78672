import type { ResourceServerService } from '../domain/resource-server/resource-server.service';
import type { ClientService } from '../domain/client/client.service';
import type { ClientGrantService } from '../domain/client-grant/client-grant.service';
import type { Loaders } from './loaders';
import type { TestTokenService } from '../oauth/test-tokens';
import type { TokenValidator } from '../oauth/token-validator';
import type { SigningKeyService } from '../domain/signing-key/signing-key.service';
import type { RevocationService } from '../domain/revocation/revocation.service';
import type { AuditLog } from '../domain/audit/audit-log';
import type { UserService } from '../domain/user/user.service';
import type { UserGrantService } from '../domain/user-grant/user-grant.service';
import type { RefreshTokenService } from '../domain/refresh-token/refresh-token.service';
import type { RoleService } from '../domain/role/role.service';
import type { Actor } from '../domain/audit/actor';
import type { TokenHookService } from '../domain/token-hook/token-hook.service';
import type { TokenHookTester } from '../oauth/token-hook/token-hook-tester';

export interface Services {
  resourceServers: ResourceServerService;
  clients: ClientService;
  clientGrants: ClientGrantService;
  tokens: TestTokenService;
  signingKeys: SigningKeyService;
  revocations: RevocationService;
  tokenValidator: TokenValidator;
  audit: AuditLog;
  users: UserService;
  userGrants: UserGrantService;
  refreshTokens: RefreshTokenService;
  roles: RoleService;
  tokenHooks: TokenHookService;
  tokenHookTester: TokenHookTester;
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
  /** Field coordinates already recorded as denied in this request (one audit event each). */
  denied: Set<string>;
}

/** The caller, as the audit log records it. */
export function actorOf(ctx: GraphQLContext): Actor {
  return { subject: ctx.principal?.subject ?? null, clientId: ctx.principal?.clientId ?? null, requestId: ctx.requestId };
}
