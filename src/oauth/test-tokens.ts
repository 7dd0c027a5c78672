import type { AuditLog } from '../domain/audit/audit-log';
import type { Actor } from '../domain/audit/actor';
import { DomainError, UserErrorCode } from '../domain/errors';
import type { TokenReadModel } from '../domain/token-read-model';
import { OAuthError } from './errors';
import { assertClientAllowed } from './grants/grant';
import { clientCredentialsGrant, issueClientCredentials } from './grants/client-credentials';
import type { Registry } from './registry';
import type { IssuedToken, TokenPipeline } from './tokens/pipeline';

/** OAuth refusals as user errors of `accessTokenIssue`. */
const CODE_OF: Record<string, { code: UserErrorCode; field: string[] }> = {
  unauthorized_client: { code: 'INVALID', field: ['input', 'clientId'] },
  access_denied: { code: 'INVALID', field: ['input', 'resourceServerId'] },
  invalid_scope: { code: 'INVALID', field: ['input', 'scopes'] },
  // A DPOP_REQUIRED API: a token without a proof (this mutation has none) is refused.
  invalid_request: { code: 'INVALID', field: ['input', 'resourceServerId'] },
};

/** The client-credentials flow for a known client, without its secret (management "test" tokens). */
export class TestTokenService {
  constructor(
    private readonly deps: { registry: Registry; pipeline: TokenPipeline; audit: AuditLog },
    private readonly reads: TokenReadModel,
  ) {}

  async issueForClient(clientUuid: string, serverUuid: string, scopes: string[] | undefined, actor: Actor): Promise<IssuedToken> {
    const client = await this.reads.clientByUuid(clientUuid);
    const found = await this.deps.registry.apiById(serverUuid);
    const issues = [];
    if (!client) issues.push({ code: 'NOT_FOUND' as const, field: ['input', 'clientId'], message: 'client not found' });
    if (!found) issues.push({ code: 'NOT_FOUND' as const, field: ['input', 'resourceServerId'], message: 'resource server not found' });
    if (issues.length > 0) throw new DomainError(issues);
    const api = found!;
    const server = api.server;
    try {
      // The same rules as POST /oauth/token, the secret aside.
      assertClientAllowed(client!, clientCredentialsGrant);
      const token = await issueClientCredentials(this.deps, client!, api, scopes, actor.requestId ?? undefined);
      // The jti and expiry are recorded so an administrator can revoke the token later.
      await this.deps.audit.recordAlone(actor, {
        operation: 'accessTokenIssue',
        targetType: 'AccessToken',
        targetId: token.jti,
        summary: { clientId: client!.clientId, audience: server.identifier, scope: token.scope, expiresAt: token.expiresAt },
      });
      return token;
    } catch (error) {
      if (error instanceof OAuthError && CODE_OF[error.error]) {
        const { code, field } = CODE_OF[error.error];
        throw DomainError.of(code, field, error.description);
      }
      throw error;
    }
  }
}
