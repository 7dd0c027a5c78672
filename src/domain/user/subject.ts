import { isUuid } from '../../lib/uuid';

/**
 * The `sub` claim of every token issued for a user (OpenID Connect Core §2: locally unique, never
 * reassigned): the user's id. Stable across email changes; a deleted user's sub names no one again.
 */
export function subjectOf(user: { id: string }): string {
  return user.id;
}

/**
 * The id of the user a `sub` names, the inverse of subjectOf; null when it cannot name one (not a
 * uuid as PostgreSQL prints it: subs are compared as exact, case-sensitive strings).
 */
export function userIdOfSubject(sub: string): string | null {
  return isUuid(sub) && sub === sub.toLowerCase() ? sub : null;
}
