import type { CachedApi } from './registry';

/** What the policy needs of the role store (RoleService). */
export interface RolePermissions {
  /** The distinct scopes of the API (uuid) the user holds across their roles. */
  permissionsOf(userId: string, resourceServerId: string): Promise<string[]>;
}

/**
 * `offline_access` asks for a refresh token; it is never a scope of an API nor a permission, so the
 * policy passes it through untouched when requested (whatever the user's roles), and never puts it
 * in `permissions`.
 */
export const OFFLINE_ACCESS = 'offline_access';

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
 * Only for user tokens: machine clients (client_credentials) keep their client grants as the
 * source of their scopes, `enforcePolicies` or not.
 */
export async function applyUserPolicy(
  roles: RolePermissions,
  api: CachedApi,
  userId: string,
  requested: string[],
): Promise<{ scopes: string[]; permissions: string[] }> {
  if (!api.server.enforcePolicies) {
    return { scopes: requested, permissions: requested.filter((s) => s !== OFFLINE_ACCESS) };
  }
  const permissions = (await roles.permissionsOf(userId, api.server.id)).filter((s) => api.scopes.has(s));
  const held = new Set(permissions);
  const scopes = requested.filter((s) => s === OFFLINE_ACCESS || held.has(s));
  return { scopes, permissions };
}
