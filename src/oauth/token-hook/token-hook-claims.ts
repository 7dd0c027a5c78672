import type { AuditLog } from '../../domain/audit/audit-log';
import type { ActiveTokenHook } from '../../domain/token-hook/token-hook.service';
import { Clock, systemClock } from '../../lib/clock';
import { accessDenied, OAuthError } from '../errors';
import type { CustomClaimsSource, TokenContext } from '../tokens/token-context';
import type { TokenHookCaller } from './token-hook-caller';
import { TokenHookFailureReason, TokenHookFault } from './token-hook-fault';
import { tokenHookPayload } from './token-hook-payload';

/** Told of every hook call: "success" or the failure reason, and how long it took (for metrics). */
export type TokenHookObserver = (outcome: 'success' | TokenHookFailureReason, seconds: number) => void;

/** Where a failed call is logged (a pino-style logger's `warn`); never given the body or the secret. */
export type TokenHookFaultLog = (details: Record<string, unknown>, message: string) => void;

/**
 * The per-API token hook as a source of custom claims (Hydra's token hook, Auth0's Actions).
 * An API without a hook costs one field read: `claimsFor` answers undefined synchronously.
 *
 * With a hook: the claims it answers. A fault (error, timeout, non-2xx, forbidden address,
 * malformed or oversized answer) follows the API's failure policy: DENY refuses the token
 * (`access_denied`), ALLOW_WITHOUT_CLAIMS issues it without the hook's claims. A protected claim in
 * the answer refuses the token whatever the policy (`server_error`: the hook is broken, not the
 * request). Every fault is counted, logged and audited (FAILURE, rate-limited).
 */
export class TokenHookClaims implements CustomClaimsSource {
  constructor(
    private readonly caller: TokenHookCaller,
    private readonly deps: {
      audit?: AuditLog;
      observe?: TokenHookObserver;
      log?: TokenHookFaultLog;
      clock?: Clock;
    } = {},
  ) {}

  claimsFor(context: TokenContext): Promise<Record<string, unknown>> | undefined {
    const hook = context.api.tokenHook;
    if (hook == null) return undefined;
    return this.call(hook, context);
  }

  private async call(hook: ActiveTokenHook, context: TokenContext): Promise<Record<string, unknown>> {
    const started = performance.now();
    const timestamp = Math.floor((this.deps.clock ?? systemClock).now().getTime() / 1000);
    try {
      const claims = await this.caller.call(hook, tokenHookPayload(context, timestamp));
      this.deps.observe?.('success', (performance.now() - started) / 1000);
      return claims;
    } catch (error) {
      const fault = error instanceof TokenHookFault ? error : new TokenHookFault('network', 'the call failed unexpectedly');
      this.deps.observe?.(fault.reason, (performance.now() - started) / 1000);
      const refused = fault.reason === 'protected_claim' || hook.failurePolicy === 'DENY';
      this.report(hook, context, fault, refused);
      if (fault.reason === 'protected_claim') {
        throw new OAuthError('server_error', "The API's token hook answered a claim it may not set; no token was issued", 500);
      }
      if (refused) throw accessDenied("The API's token hook failed; no token was issued");
      return {};
    }
  }

  private report(hook: ActiveTokenHook, context: TokenContext, fault: TokenHookFault, refused: boolean): void {
    const api = context.api.server;
    const details = {
      api: api.identifier,
      clientId: context.client.clientId,
      grantType: context.grantType,
      reason: fault.reason,
      error: fault.message,
      failurePolicy: hook.failurePolicy,
      tokenIssued: !refused,
    };
    this.deps.log?.({ tokenHook: details }, 'token hook failed');
    this.deps.audit?.recordFailure(
      { subject: context.user?.id ?? context.client.clientId, clientId: context.client.clientId, requestId: context.requestId ?? null },
      { operation: 'tokenHookFailure', targetType: 'ResourceServer', targetId: api.id, summary: details },
    );
  }
}
