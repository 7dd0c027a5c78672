import type { AuditLog } from '../../domain/audit/audit-log';
import type { Actor } from '../../domain/audit/actor';
import { DomainError, IssueList } from '../../domain/errors';
import type { TokenReadModel } from '../../domain/token-read-model';
import type { UserEntity } from '../../domain/user/user.entity';
import { checkEnum } from '../../domain/resource-server/resource-server.rules';
import { checkListSize, SCOPE_TOKEN, SCOPE_VALUE_MAX } from '../../domain/validation';
import { GRANT_TYPES, GrantType } from '../../domain/client/client.rules';
import { noHook, TokenHookService } from '../../domain/token-hook/token-hook.service';
import { Clock, systemClock } from '../../lib/clock';
import { isUuid } from '../../lib/uuid';
import type { TokenHookCaller } from './token-hook-caller';
import { TokenHookFault } from './token-hook-fault';
import { tokenHookPayload, TokenHookSubject } from './token-hook-payload';
import { BUILT_IN_GRANTS } from '../grants/registry';

export interface TokenHookTest {
  /** Default CLIENT_CREDENTIALS without a user, AUTHORIZATION_CODE with one. */
  grantType?: GrantType | null;
  /** Default: every scope of the API (the first 100). */
  scopes?: string[] | null;
  /** A real client (uuid); default a sample one. */
  clientUuid?: string | null;
  /** A real user (uuid); default a sample one for user grants, none for CLIENT_CREDENTIALS. */
  userId?: string | null;
}

export interface TokenHookTestResult {
  /** What the hook answered, parsed; null when it failed. */
  claims: Record<string, unknown> | null;
  /** A summary of the failure ("timed out after 2000 ms", "answered HTTP 500"), never the hook's body. */
  error: string | null;
}

const SAMPLE_CLIENT = { clientId: 'sample-client-id', name: 'Sample client', metadata: { sample: 'true' } };
const SAMPLE_USER = { id: '00000000-0000-4000-8000-000000000000', email: 'sample.user@example.com', appMetadata: { sample: true } };
const SAMPLE_SCOPES_MAX = 100;

/**
 * The dashboard's "test action": calls the API's hook, signed like a real call, with a sample (or
 * chosen) client, user and scopes, and returns the claims it answered or what went wrong. Neither
 * counted in the hook metrics nor audited as a failure: it is audited as the mutation it is.
 */
export class TokenHookTester {
  constructor(
    private readonly deps: {
      reads: TokenReadModel;
      users: { findById(id: string): Promise<UserEntity | null> };
      hooks: TokenHookService;
      caller: TokenHookCaller;
      audit: AuditLog;
      clock?: Clock;
    },
  ) {}

  async test(serverId: string, input: TokenHookTest, actor: Actor): Promise<TokenHookTestResult> {
    const api = await this.deps.reads.apiById(serverId);
    if (!api) throw DomainError.notFound(['id'], 'resource server');
    const { server } = api;
    const hook = await this.deps.hooks.activeHook(serverId);
    if (!hook) throw noHook();

    const issues = new IssueList();
    const client = input.clientUuid != null ? await this.deps.reads.clientByUuid(input.clientUuid) : SAMPLE_CLIENT;
    if (!client) issues.add('NOT_FOUND', ['input', 'clientId'], 'client not found');
    const user = input.userId != null ? (isUuid(input.userId) ? await this.deps.users.findById(input.userId) : null) : undefined;
    if (user === null) issues.add('NOT_FOUND', ['input', 'userId'], 'user not found');
    const grantType = input.grantType ?? (user ? 'AUTHORIZATION_CODE' : 'CLIENT_CREDENTIALS');
    if (checkEnum(issues, ['input', 'grantType'], grantType, GRANT_TYPES) && grantType === 'CLIENT_CREDENTIALS' && user) {
      issues.add('INVALID', ['input', 'userId'], 'CLIENT_CREDENTIALS tokens have no user');
    }
    if (input.scopes != null && checkListSize(issues, ['input', 'scopes'], input.scopes, SAMPLE_SCOPES_MAX)) {
      input.scopes.forEach((scope, index) => {
        if (scope.length > SCOPE_VALUE_MAX || !SCOPE_TOKEN.test(scope)) {
          issues.add('INVALID', ['input', 'scopes', String(index)], `must be a scope token of at most ${SCOPE_VALUE_MAX} characters`);
        }
      });
    }
    issues.throwIfAny();

    const scopes = input.scopes ?? api.scopes.slice(0, SAMPLE_SCOPES_MAX);
    const subject: TokenHookSubject = {
      grantType: grantTypeValue(grantType),
      api: { server },
      client: client!,
      user: grantType === 'CLIENT_CREDENTIALS' ? null : (user ?? SAMPLE_USER),
      scopes,
    };
    const timestamp = Math.floor((this.deps.clock ?? systemClock).now().getTime() / 1000);
    let result: TokenHookTestResult;
    try {
      result = { claims: await this.deps.caller.call(hook, tokenHookPayload(subject, timestamp)), error: null };
    } catch (error) {
      if (!(error instanceof TokenHookFault)) throw error;
      result = { claims: null, error: error.message };
    }
    await this.deps.audit.recordAlone(actor, {
      operation: 'resourceServerTokenHookTest',
      targetType: 'ResourceServer',
      targetId: serverId,
      // The claim names, not their values (they may hold personal data).
      summary: {
        grantType,
        clientId: subject.client.clientId,
        userId: subject.user?.id ?? null,
        claimNames: result.claims ? Object.keys(result.claims).slice(0, 50) : null,
        error: result.error,
      },
    });
    return result;
  }
}

/** The grant_type value the token endpoint would give the hook for this client setting (implicit: its lowercase name). */
function grantTypeValue(grantType: GrantType): string {
  return BUILT_IN_GRANTS.find((grant) => grant.requiredClientGrant === grantType)?.grantType ?? grantType.toLowerCase();
}
