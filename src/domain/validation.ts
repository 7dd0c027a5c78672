import { IssueList } from './errors';
import { hasControlCharacter } from '../lib/control-characters';

/** Shared input rules, one definition each. Every check reports to an IssueList under `field`. */

/** A display name: 1–max chars, not blank, no `<`, `>` or control characters. */
export function checkName(issues: IssueList, field: string[], value: string, max = 200): void {
  if (value.trim().length === 0) issues.add('INVALID', field, 'must not be blank');
  else if (value.length > max) issues.add('INVALID', field, `must be at most ${max} characters`);
  else if (/[<>]/.test(value)) issues.add('INVALID', field, 'must not contain < or >');
  else if (hasControlCharacter(value)) issues.add('INVALID', field, 'must not contain control characters');
}

/** Free text: at most `max` chars, no control characters other than newlines and tabs. */
export function checkText(issues: IssueList, field: string[], value: string, max: number): void {
  if (value.length > max) issues.add('INVALID', field, `must be at most ${max} characters`);
  else if (hasControlCharacter(value, ['\t', '\n'])) {
    issues.add('INVALID', field, 'must not contain control characters');
  }
}

export function checkIntRange(issues: IssueList, field: string[], value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    issues.add('INVALID', field, `must be an integer from ${min} to ${max}`);
  }
}

/** A duration: every lifetime and grace period of the API is in seconds, and its refusal says so. */
export function checkSeconds(issues: IssueList, field: string[], value: number, min: number, max: number, note = ''): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    issues.add('INVALID', field, `must be a whole number of seconds from ${min} to ${max}${note}`);
  }
}

export function checkListSize(issues: IssueList, field: string[], list: unknown[], max: number): boolean {
  if (list.length > max) {
    issues.add('LIMIT_EXCEEDED', field, `must have at most ${max} entries`);
    return false;
  }
  return true;
}

/** Reports the index of every repeated entry. */
export function checkNoDuplicates(issues: IssueList, field: string[], list: string[]): void {
  const seen = new Set<string>();
  list.forEach((value, index) => {
    if (seen.has(value)) issues.add('INVALID', [...field, String(index)], `"${truncate(value)}" is repeated`);
    seen.add(value);
  });
}

/** RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const SCOPE_VALUE_MAX = 280;

/**
 * A URL a browser or this server is sent to (callback, logout, hook): at most `max` characters, no
 * whitespace, absolute, without credentials or fragment. The parsed URL, or why it is refused; the
 * scheme and host rules are the caller's.
 */
export function parseWebUrl(raw: string, max: number): URL | string {
  if (raw.length === 0 || raw.length > max) return `must be 1 to ${max} characters`;
  if (/\s/.test(raw)) return 'must not contain whitespace';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL';
  }
  if (raw.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  return url;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Shortens a value quoted back in a message so an error never echoes a huge input. */
export function truncate(value: string, max = 60): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** Longest time an old secret may keep working after a rotation: 30 days, in seconds. */
export const GRACE_PERIOD_MAX = 2_592_000;

/**
 * The grace period of a secret rotation's previous secret, from `input.previousSecretExpiresIn`
 * (default 0: at once; at most 30 days), and when it ends counted from `now` (null: now). Invalid → a DomainError.
 */
export function rotationGrace(
  input: { previousSecretExpiresIn?: number | null },
  now: Date,
): { seconds: number; previousExpiresAt: Date | null } {
  const seconds = input.previousSecretExpiresIn ?? 0;
  const issues = new IssueList();
  checkSeconds(issues, ['input', 'previousSecretExpiresIn'], seconds, 0, GRACE_PERIOD_MAX);
  issues.throwIfAny();
  return { seconds, previousExpiresAt: seconds > 0 ? new Date(now.getTime() + seconds * 1000) : null };
}
