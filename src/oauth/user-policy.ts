import type { CachedApi } from './registry';
import { isStandardScope } from './standard-scopes';

/** What the policy needs of the role store (RoleService). */
export interface RolePermissions {
  /** The distinct scopes of the API (uuid) the user holds across their roles. */
  permissionsOf(userId: string, resourceServerId: string): Promise<string[]>;
}

/**
 * The scopes and `permissions` (for `*_AUTHZ` dialects) of a user's access token for `api`, given
 * the scopes `requested` (already consented / granted; for a refresh, the original grant's).
 *
 * - `enforcePolicies` off: the requested scopes; `permissions` = the same scopes.
 * - `enforcePolicies` on (RBAC): `permissions` = every scope of the API the user holds through
 *   roles (only scopes the API still defines); `scopes` = requested ∩ permissions, in the
 *   requested order. Evaluated at every issuance (code exchange, implicit, refresh), so removing a
 *   role or permission applies from the next token.
 *
 * The standard scopes (`openid`, `profile`, `email`, `offline_access`: standard-scopes.ts) are
 * about the user, never an API's permissions: they pass through untouched when requested,
 * whatever the user's roles, and never go into `permissions`.
 *
 * The Management API always enforces (rbacEnforced): a person holds there what their roles give.
 *
 * Only for user tokens: machine clients (client_credentials) keep their client grants as the
 * source of their scopes, `enforcePolicies` or not.
 */
export async function applyUserPolicy(
  roles: RolePermissions,
  api: CachedApi,
  userId: string,
  requested: string[],
): Promise<{ scopes: string[]; permissions: string[] }> {
  if (!rbacEnforced(api)) {
    return { scopes: requested, permissions: requested.filter((s) => !isStandardScope(s)) };
  }
  const permissions = (await roles.permissionsOf(userId, api.server.id)).filter((s) => api.scopes.has(s));
  const held = new Set(permissions);
  const scopes = requested.filter((s) => isStandardScope(s) || held.has(s));
  return { scopes, permissions };
}

/** Whether a user's tokens for `api` carry only what their roles give: `enforcePolicies`, always on for the Management API. */
export function rbacEnforced(api: CachedApi): boolean {
  return api.server.enforcePolicies || api.server.builtin === 'MANAGEMENT';
}
