import { subjectOf } from '../../domain/user/subject';
import type { TokenContext } from './token-context';

/** `typ` header of each dialect: RFC 9068 profiles are `at+jwt`, Auth0's dialects `JWT`. */
export function tokenTyp(dialect: string): 'at+jwt' | 'JWT' {
  return dialect.startsWith('RFC9068') ? 'at+jwt' : 'JWT';
}

/**
 * Sets the claims that depend on the API's token dialect on `payload`:
 * - RFC9068_PROFILE(_AUTHZ): sub client_id scope (sub = the client_id for machine tokens)
 * - ACCESS_TOKEN(_AUTHZ): sub azp scope, and for machine tokens sub = "<client_id>@clients" and
 *   `gty` (Auth0's spelling of the grant: client-credentials)
 * - an exchanged token (context.delegation) keeps the `sub` of the token it was exchanged from
 * - *_AUTHZ add `permissions` (the user's permissions under RBAC; for machines, the scopes).
 * All of them are protected claims (PROTECTED_CLAIMS).
 */
export function setDialectClaims(payload: Record<string, unknown>, context: TokenContext, scope: string, permissions: string[]): void {
  const { tokenDialect } = context.api.server;
  const { clientId } = context.client;
  const user = context.user;
  // An exchanged token keeps its subject token's `sub` (RFC 8693 §1.1); the client is the exchanging one.
  const subject = context.delegation?.subject;
  if (tokenDialect.startsWith('RFC9068')) {
    payload.sub = subject ?? (user !== null ? subjectOf(user) : clientId);
    payload.client_id = clientId;
    payload.scope = scope;
  } else {
    payload.sub = subject ?? (user !== null ? subjectOf(user) : `${clientId}@clients`);
    payload.azp = clientId;
    payload.scope = scope;
    if (user === null) payload.gty = auth0GrantType(context.grantType);
  }
  if (tokenDialect.endsWith('_AUTHZ')) payload.permissions = permissions;
}

/** Auth0 writes grant types with hyphens (`client-credentials`); URIs (extension grants) stay as they are. */
function auth0GrantType(grantType: string): string {
  return grantType === 'client_credentials' ? 'client-credentials' : grantType;
}
