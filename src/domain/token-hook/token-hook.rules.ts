import { IssueList } from '../errors';
import { checkIntRange, parseWebUrl } from '../validation';
import { normalizeHostname } from '../../lib/hostname';

/**
 * What happens to a token when its API's hook fails (error, timeout, non-2xx, malformed answer):
 * DENY refuses it (`access_denied`), ALLOW_WITHOUT_CLAIMS issues it without the hook's claims.
 * A hook that answers a protected claim is refused whatever the policy (`server_error`).
 */
export const TOKEN_HOOK_FAILURE_POLICIES = ['DENY', 'ALLOW_WITHOUT_CLAIMS'] as const;
export type TokenHookFailurePolicy = (typeof TOKEN_HOOK_FAILURE_POLICIES)[number];

export const TOKEN_HOOK_URL_MAX = 2000;
export const TOKEN_HOOK_TIMEOUT_MIN_MS = 100;
export const TOKEN_HOOK_TIMEOUT_MAX_MS = 10_000;
export const TOKEN_HOOK_DEFAULTS = { timeoutMs: 2000, failurePolicy: 'DENY' as TokenHookFailurePolicy };

/**
 * Why a hook URL is refused, or null: an absolute `https` URL (or `http` for a host listed in
 * TOKEN_HOOK_ALLOWED_HOSTS), at most 2000 characters, with a host, without credentials or fragment.
 * Checked when the hook is set and again before every call (the allow-list may have changed).
 * Where the host resolves is checked at call time, on the address connected to (oauth/token-hook).
 */
export function tokenHookUrlProblem(raw: string, allowedHosts: ReadonlySet<string>): string | null {
  const url = parseWebUrl(raw, TOKEN_HOOK_URL_MAX);
  if (typeof url === 'string') return url;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
  if (!url.hostname) return 'must have a host';
  if (url.protocol === 'http:' && !allowedHosts.has(normalizeHostname(url.hostname))) {
    return 'must use https (http is allowed only for hosts listed in TOKEN_HOOK_ALLOWED_HOSTS)';
  }
  return null;
}

export function checkTokenHookUrl(issues: IssueList, field: string[], raw: string, allowedHosts: ReadonlySet<string>): void {
  // The URL is not quoted back: it may carry what should not be echoed (credentials are refused).
  const problem = tokenHookUrlProblem(raw, allowedHosts);
  if (problem) issues.add('INVALID', field, problem);
}

export function checkTokenHookTimeout(issues: IssueList, field: string[], timeoutMs: number): void {
  checkIntRange(issues, field, timeoutMs, TOKEN_HOOK_TIMEOUT_MIN_MS, TOKEN_HOOK_TIMEOUT_MAX_MS);
}
