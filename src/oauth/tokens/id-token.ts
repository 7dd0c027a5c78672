import { createHash } from 'node:crypto';
import type { AsymmetricAlgorithm } from '../../crypto/key-pairs';
import type { TokenClient } from '../../domain/token-read-model';
import type { Authentication } from '../../domain/sign-in/authentication';
import { CLAIMS_BY_SCOPE, standardClaims } from '../../domain/user/standard-claims';
import { subjectOf } from '../../domain/user/subject';
import type { UserEntity } from '../../domain/user/user.entity';

/** The claims ID tokens (and the userinfo endpoint) carry: discovery's claims_supported. */
export const SUPPORTED_CLAIMS: readonly string[] = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'azp',
  'sid',
  'at_hash',
  ...Object.values(CLAIMS_BY_SCOPE).flat(),
];

/** Everything an ID token (OpenID Connect Core §2) says, besides what the pipeline stamps (`iss`, `iat`, `exp`). */
export interface IdTokenContext {
  client: TokenClient;
  user: UserEntity;
  /** The scopes granted (after the user policy): `profile` and `email` release their claims. */
  scopes: readonly string[];
  /** The sign-in (`sid`, `auth_time`); null when the grant has none on record. */
  authentication: Authentication | null;
  /** The authorization request's nonce; never on the ID tokens of refreshes. */
  nonce?: string | null;
  /** The access token issued alongside, whose hash is `at_hash`. */
  accessToken: string;
}

/**
 * `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the hash of the access token, with
 * the hash of the ID token's algorithm (SHA-256 for RS256, PS256, ES256; SHA-512 for EdDSA with
 * Ed25519, as the OpenID Foundation's clarification and the usual libraries have it).
 */
export function atHash(algorithm: AsymmetricAlgorithm, accessToken: string): string {
  const digest = createHash(algorithm === 'EdDSA' ? 'sha512' : 'sha256')
    .update(accessToken, 'ascii')
    .digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** The claims of an ID token, except `iss`, `iat` and `exp`. */
export function idTokenClaims(context: IdTokenContext): Record<string, unknown> {
  const { client, authentication } = context;
  const claims: Record<string, unknown> = {
    // The standard claims first: nothing below can be overwritten by them.
    ...standardClaims(context.user, context.scopes),
    sub: subjectOf(context.user),
    aud: client.clientId,
    azp: client.clientId,
    at_hash: atHash(client.idTokenSigningAlgorithm, context.accessToken),
  };
  if (authentication !== null) {
    claims.auth_time = Math.floor(authentication.authTime.getTime() / 1000);
    claims.sid = authentication.sid;
  }
  if (context.nonce) claims.nonce = context.nonce;
  return claims;
}
