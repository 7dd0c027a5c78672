import type { UserEntity } from './user.entity';

/**
 * The OpenID Connect standard claims (Core §5.1) the user directory holds, by the scope that
 * releases them (Core §5.4). One table for ID tokens and the userinfo endpoint.
 */
export const CLAIMS_BY_SCOPE = {
  profile: ['name', 'updated_at'],
  email: ['email', 'email_verified'],
} as const satisfies Record<string, readonly string[]>;

/** The standard claims of `user` that `scopes` release (besides `sub`, which every answer carries). */
export function standardClaims(
  user: Pick<UserEntity, 'name' | 'email' | 'emailVerified' | 'updatedAt'>,
  scopes: readonly string[],
): Record<string, string | number | boolean> {
  const claims: Record<string, string | number | boolean> = {};
  if (scopes.includes('profile')) {
    claims.name = user.name;
    claims.updated_at = Math.floor(user.updatedAt.getTime() / 1000);
  }
  if (scopes.includes('email')) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return claims;
}
