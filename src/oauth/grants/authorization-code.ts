import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthorizationCodeEntity } from '../../domain/authorization/authorization.entities';
import { familyIdForCode } from '../../domain/refresh-token/refresh-token.service';
import { authenticationOf } from '../../domain/sign-in/authentication';
import { invalidGrant, invalidRequest, invalidTarget } from '../errors';
import { accessTokenScopes } from '../standard-scopes';
import type { GrantDefinition, GrantRequest, GrantResponse } from './grant';
import { grantsRefreshToken } from './offline-access';
import { refreshTokenBinding } from './refresh-token';

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
 * that still exists. The token carries the consented scopes the API still defines and the identity
 * scopes (with enforcePolicies, only the API's scopes the user holds through roles: see
 * user-policy.ts). With `openid` granted, an ID token too (OpenID Connect Core §3.1.3.3).
 */
export const authorizationCodeGrant: GrantDefinition = {
  grantType: 'authorization_code',
  requiredClientGrant: 'AUTHORIZATION_CODE',
  params: ['code', 'redirect_uri', 'code_verifier', 'resource', 'audience'],
  handle: exchangeAuthorizationCode,
};

async function exchangeAuthorizationCode(request: GrantRequest): Promise<GrantResponse> {
  const { params, services: deps } = request;
  const code = params.get('code');
  if (code === undefined) throw invalidRequest('code is required');

  const consumed = await deps.authorizationCodes.consume(code);
  if (consumed.status === 'invalid') throw invalidGrant('The authorization code is invalid or expired');
  if (consumed.status === 'reused') {
    // RFC 6749 §4.1.2: the refresh tokens its first exchange issued go too (the access token is denylisted by consume).
    await deps.refreshTokens.revokeFamily(familyIdForCode(consumed.code.codeHash));
    throw invalidGrant('The authorization code has already been used; the tokens issued for it are revoked');
  }
  try {
    return await exchangeConsumed(request, consumed.code);
  } catch (error) {
    // Spent either way; a replay of it need not wait for a token that will never come.
    await deps.authorizationCodes.recordRefused(consumed.code.codeHash).catch(() => undefined);
    throw error;
  }
}

async function exchangeConsumed(request: GrantRequest, granted: AuthorizationCodeEntity): Promise<GrantResponse> {
  const { client, params, services: deps } = request;
  const redirectUri = params.get('redirect_uri');
  const verifier = params.get('code_verifier');
  // A code of another client is refused like an unknown one: nothing is said about it.
  if (granted.clientUuid !== client.id) throw invalidGrant('The authorization code is invalid or expired');
  if (redirectUri === undefined || redirectUri !== granted.redirectUri) {
    throw invalidGrant('redirect_uri does not match the one of the authorization request');
  }
  // Every code is PKCE-bound: /authorize requires a challenge of every client.
  if (verifier === undefined) throw invalidGrant('code_verifier is required (PKCE)');
  if (granted.codeChallenge === null) {
    // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade attempt. Only
    // codes issued before PKCE was required (60 s before an upgrade at most) have none: refused too.
    throw invalidGrant('code_verifier was sent but the authorization request had no code_challenge');
  }
  if (!CODE_VERIFIER.test(verifier) || !pkceS256Matches(verifier, granted.codeChallenge)) {
    throw invalidGrant('code_verifier does not match the code challenge');
  }
  // RFC 9449 §10: a code requested with dpop_jkt is exchanged only with a proof by that key.
  if (granted.dpopJkt !== null && granted.dpopJkt !== request.dpopJkt) {
    throw invalidGrant('The authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed by that key');
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

  const consented = accessTokenScopes(granted.scopes, api.scopes);
  const authentication = authenticationOf(granted);
  const { token, idToken } = await deps.pipeline.issueUserTokens(
    {
      grantType: authorizationCodeGrant.grantType,
      client,
      api,
      user,
      scopes: consented,
      requestId: request.requestId,
      dpopJkt: request.dpopJkt,
    },
    { authentication, nonce: granted.nonce },
  );
  const scopes = token.scope.split(' ').filter((s) => s !== '');
  // offline_access granted, and still allowed: a refresh token for the access token's scopes, in a
  // family named after the code (a replay of the code revokes it). Issued before the code records
  // its token, so a concurrent replay (which waits for that) finds the family.
  const offline = grantsRefreshToken(granted.scopes, api, client);
  const refreshToken = offline
    ? await deps.refreshTokens.issue({
        client,
        userId: granted.userId,
        resourceServerId: api.server.id,
        scopes,
        familyId: familyIdForCode(granted.codeHash),
        authentication,
        dpopJkt: refreshTokenBinding(client, token),
      })
    : undefined;
  await deps.authorizationCodes.recordIssued(granted.codeHash, token.jti, token.expiresAt);
  return { ...token, refreshToken, idToken };
}
