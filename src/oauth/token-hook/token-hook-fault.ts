/** Why a token hook call failed: a metric label, an audit summary field, a log field. */
export const TOKEN_HOOK_FAILURE_REASONS = [
  'timeout',
  'network',
  'status',
  'invalid_response',
  'forbidden_address',
  'protected_claim',
] as const;
export type TokenHookFailureReason = (typeof TOKEN_HOOK_FAILURE_REASONS)[number];

/**
 * A failed hook call. `message` is a summary written by this service ("timed out after 2000 ms",
 * "answered HTTP 500"), never the hook's response body, its headers or the secret: it may be shown
 * to administrators (test mutation), logged and audited.
 */
export class TokenHookFault extends Error {
  constructor(
    public readonly reason: TokenHookFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'TokenHookFault';
  }
}
