import { SignJWT } from 'jose';
import { randomToken } from '../crypto/random';
import type { KeyRing, AsymmetricAlgorithm } from '../crypto/key-ring';
import type { CachedApi } from './registry';
import type { ClientEntity } from '../domain/client/client.entity';

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  scope: string;
}

/** `typ` header of each dialect: RFC 9068 profiles are `at+jwt`, Auth0's dialects `JWT`. */
export function tokenTyp(dialect: string): 'at+jwt' | 'JWT' {
  return dialect.startsWith('RFC9068') ? 'at+jwt' : 'JWT';
}

/**
 * Signs access tokens in the API's algorithm and dialect:
 * - RFC9068_PROFILE(_AUTHZ): iss sub aud exp iat jti client_id scope (sub = client id for machines)
 * - ACCESS_TOKEN(_AUTHZ): iss sub aud exp iat jti azp scope gty (sub = "<client id>@clients")
 * - *_AUTHZ add `permissions`: the granted scopes as an array.
 */
export class AccessTokenIssuer {
  constructor(
    private readonly keyRing: KeyRing,
    private readonly issuer: string,
  ) {}

  async issueForClient(client: ClientEntity, api: CachedApi, scopes: string[]): Promise<IssuedToken> {
    const rfc9068 = api.server.tokenDialect.startsWith('RFC9068');
    const scope = scopes.join(' ');
    const claims: Record<string, unknown> = rfc9068
      ? { sub: client.clientId, client_id: client.clientId, scope }
      : { sub: `${client.clientId}@clients`, azp: client.clientId, scope, gty: 'client-credentials' };
    return this.sign(api, claims, scopes, api.server.tokenLifetime);
  }

  /**
   * A token for a user, used by `client` on their behalf (authorization code, implicit): `sub` is
   * the user id. `lifetime` defaults to the API's; the implicit grant passes `tokenLifetimeForWeb`.
   */
  async issueForUser(
    client: ClientEntity,
    api: CachedApi,
    userId: string,
    scopes: string[],
    lifetime = api.server.tokenLifetime,
    /** `*_AUTHZ` dialects: the user's permissions for the API (RBAC); default: the scopes. */
    permissions: string[] = scopes,
  ): Promise<IssuedToken & { jti: string; expiresAt: Date }> {
    const rfc9068 = api.server.tokenDialect.startsWith('RFC9068');
    const scope = scopes.join(' ');
    const claims: Record<string, unknown> = rfc9068
      ? { sub: userId, client_id: client.clientId, scope }
      : { sub: userId, azp: client.clientId, scope };
    return this.sign(api, claims, permissions, lifetime);
  }

  private async sign(
    api: CachedApi,
    claims: Record<string, unknown>,
    permissions: string[],
    lifetime: number,
  ): Promise<IssuedToken & { jti: string; expiresAt: Date }> {
    const { server } = api;
    if (server.tokenDialect.endsWith('_AUTHZ')) claims.permissions = permissions;
    const now = Math.floor(Date.now() / 1000);
    const jti = randomToken(16);
    const jwt = new SignJWT({ iss: this.issuer, aud: server.identifier, iat: now, exp: now + lifetime, jti, ...claims });
    let token: string;
    if (server.signingAlgorithm === 'HS256') {
      const { kid, key } = await this.keyRing.hsSigningKey(server.id);
      token = await jwt.setProtectedHeader({ alg: 'HS256', typ: tokenTyp(server.tokenDialect), kid }).sign(key);
    } else {
      const key = await this.keyRing.signingKey(server.signingAlgorithm as AsymmetricAlgorithm);
      token = await jwt.setProtectedHeader({ alg: key.algorithm, typ: tokenTyp(server.tokenDialect), kid: key.kid }).sign(key.privateKey);
    }
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn: lifetime,
      scope: claims.scope as string,
      jti,
      expiresAt: new Date((now + lifetime) * 1000),
    };
  }
}
