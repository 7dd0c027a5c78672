import { IssueList } from '../errors';
import { checkName } from '../validation';
import { hasControlCharacter } from '../../lib/control-characters';

export const EMAIL_MAX = 320;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const USER_NAME_MAX = 200;

/** The form emails are compared in (uniqueness, sign-in): trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * An email address, RFC 5322-lite: exactly one @, non-empty local and domain parts, no spaces or
 * control characters, at most 320 characters, a domain with a dot (or `localhost`).
 */
export function checkEmail(issues: IssueList, field: string[], email: string): boolean {
  const problem = emailProblem(email);
  if (problem) issues.add('INVALID', field, problem);
  return problem === null;
}

/** What is wrong with an email address (checkEmail's rule), or null. */
export function emailProblem(email: string): string | null {
  if (email.length === 0) return 'must not be blank';
  if (email.length > EMAIL_MAX) return `must be at most ${EMAIL_MAX} characters`;
  if (/\s/.test(email) || hasControlCharacter(email)) return 'must not contain spaces or control characters';
  const parts = email.split('@');
  if (parts.length !== 2) return 'must be an email address with exactly one @';
  const [local, domain] = parts as [string, string];
  if (local.length === 0) return 'must have a local part before the @';
  if (domain.length === 0) return 'must have a domain after the @';
  const labels = domain.split('.');
  if (domain.toLowerCase() !== 'localhost' && (labels.length < 2 || labels.some((label) => label.length === 0))) {
    return 'must have a domain such as example.com';
  }
  return null;
}

/** The password policy: 8–256 characters, no control characters, not the email (whatever its case). */
export function checkPassword(issues: IssueList, field: string[], password: string, email: string): boolean {
  const problem = passwordProblem(password, email);
  if (problem) issues.add('INVALID', field, problem);
  return problem === null;
}

/** What is wrong with a password for this email (checkPassword's rule), or null. */
export function passwordProblem(password: string, email: string): string | null {
  if (password.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  if (hasControlCharacter(password)) return 'must not contain control characters';
  if (normalizeEmail(password) === normalizeEmail(email)) return 'must not be the email address';
  return null;
}

/** A user's display name: optional (empty), else the shared name rule, at most 200 characters. */
export function checkUserName(issues: IssueList, field: string[], name: string): void {
  if (name.length > 0) checkName(issues, field, name, USER_NAME_MAX);
}
