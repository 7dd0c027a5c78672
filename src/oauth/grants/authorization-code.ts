import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientEntity } from '../../domain/client/client.entity';
import type { AuthorizationCodeService } from '../../domain/authorization/authorization-code.service';
import type { AuthorizationCodeEntity } from '../../domain/authorization/authorization.entities';
import type { AccessTokenIssuer, IssuedToken } from '../access-token';
import { invalidGrant, invalidRequest, invalidTarget, unauthorizedClient } from '../errors';
import type { Registry } from '../registry';

/** What the exchange needs to know of a user: whether they may still get tokens. */
export interface UserLookup {
  findById(id: string): Promise<{ blocked: boolean } | null>;
}

export interface AuthorizationCodeDeps {
  registry: Registry;
  issuer: AccessTokenIssuer;
  authorizationCodes: AuthorizationCodeService;
  users: UserLookup;
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time. */
export function pkceS256Matches(verifier: string, challenge: string): boolean {
  const computed = createHash('sha256').update(verifier, 'ascii').digest();
  const expected = Buffer.from(challenge, 'base64url');
  return expected.length === computed.length && timingSafeEqual(computed, expected) && expected.toString('base64url') === challenge;
}

/**
 * RFC 6749 §4.1.3 with RFC 7636 (PKCE), for an authenticated client: the code is consumed first
 * (single use, even when a later check fails), then must have been issued to this client, for this
 * redirect URI, with a challenge the verifier answers, to a user who may still sign in, for an API
 * that still exists. The token carries the consented scopes the API still defines.
 */
export async function exchangeAuthorizationCode(
  deps: AuthorizationCodeDeps,
  client: ClientEntity,
  params: Map<string, string>,
): Promise<IssuedToken> {
  if (!client.grantTypes.includes('AUTHORIZATION_CODE')) {
    throw unauthorizedClient('This client is not allowed the authorization_code grant');
  }
  const code = params.get('code');
  if (code === undefined) throw invalidRequest('code is required');

  const consumed = await deps.authorizationCodes.consume(code);
  if (consumed.status === 'invalid') throw invalidGrant('The authorization code is invalid or expired');
  if (consumed.status === 'reused') {
    throw invalidGrant('The authorization code has already been used; the tokens issued for it are revoked');
  }
  try {
    return await exchangeConsumed(deps, client, params, consumed.code);
  } catch (error) {
    // Spent either way; a replay of it need not wait for a token that will never come.
    await deps.authorizationCodes.recordRefused(consumed.code.codeHash).catch(() => undefined);
    throw error;
  }
}

async function exchangeConsumed(
  deps: AuthorizationCodeDeps,
  client: ClientEntity,
  params: Map<string, string>,
  granted: AuthorizationCodeEntity,
): Promise<IssuedToken> {
  const redirectUri = params.get('redirect_uri');
  const verifier = params.get('code_verifier');
  // A code of another client is refused like an unknown one: nothing is said about it.
  if (granted.clientId !== client.id) throw invalidGrant('The authorization code is invalid or expired');
  if (redirectUri === undefined || redirectUri !== granted.redirectUri) {
    throw invalidGrant('redirect_uri does not match the one of the authorization request');
  }
  if (granted.codeChallenge !== null) {
    if (verifier === undefined) throw invalidGrant('code_verifier is required (PKCE)');
    if (!CODE_VERIFIER.test(verifier) || !pkceS256Matches(verifier, granted.codeChallenge)) {
      throw invalidGrant('code_verifier does not match the code challenge');
    }
  } else if (verifier !== undefined) {
    // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade attempt.
    throw invalidGrant('code_verifier was sent but the authorization request had no code_challenge');
  }

  const user = await deps.users.findById(granted.userId);
  if (!user || user.blocked) throw invalidGrant('The user of this authorization code can no longer sign in');
  const api = await deps.registry.apiById(granted.resourceServerId);
  if (!api) throw invalidGrant('The API of this authorization code no longer exists');
  // RFC 8707: a resource (or audience) named here must be the one the code was issued for.
  for (const name of ['resource', 'audience']) {
    const target = params.get(name);
    if (target !== undefined && target !== api.server.identifier) {
      throw invalidTarget(`${name} does not name the API of the authorization code`);
    }
  }

  const scopes = granted.scopes.filter((s) => api.scopes.has(s));
  const token = await deps.issuer.issueForUser(client, api, granted.userId, scopes);
  await deps.authorizationCodes.recordIssued(granted.codeHash, token.jti, token.expiresAt);
  return token;
}
