import type { TokenClient } from '../../domain/token-read-model';
import { isPublicClient } from '../../domain/client/client.rules';
import { userIdOfSubject } from '../../domain/user/subject';
import type { UserEntity } from '../../domain/user/user.entity';
import { resolveApi } from '../audience';
import { invalidRequest, invalidScope, invalidTarget, unauthorizedClient } from '../errors';
import { parseScopeParam } from '../scope';
import { InvalidTokenError } from '../token-verifier';
import { actOf, ActorClaim, EXCHANGE_CHAIN_MAX, ExchangedFrom, exchangedFromOf } from '../tokens/delegation';
import { applyUserPolicy } from '../user-policy';
import type { GrantDefinition, GrantRequest, GrantResponse, GrantServices } from './grant';

/** The token types (RFC 8693 §3) this service reads; it issues access tokens only. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

/**
 * RFC 8693 token exchange, for a confidential client allowed TOKEN_EXCHANGE: a token of this
 * service (`subject_token`) becomes an access token for another API (`audience`/`resource`,
 * required as for client_credentials), on behalf of the same subject.
 *
 * - subject_token: an access token this service issued, active as introspection judges it
 *   (TokenValidator), or an ID token this service issued to the exchanging client itself.
 * - actor_token (optional, with actor_token_type): the same kinds, issued to the exchanging client.
 * - The new token keeps the subject's `sub`; its client is the exchanging one; `act` names the
 *   actor (the actor token's `sub`, else the exchanging client's client_id) with the subject
 *   token's own `act` nested inside (RFC 8693 §4.1); it expires no later than the subject and actor
 *   tokens, and lists the access tokens it comes from in `exchanged_from`, so revoking any of them
 *   (denylist, grant watermark, client deleted) makes it inactive too.
 * - Scopes: at most the exchanging client's grant on the target API, and for a user subject only
 *   those the user holds there (RBAC, user-policy.ts); none requested: all of those.
 *
 * Errors as RFC 8693 §2.2.2 says: a token that is invalid, expired, revoked or unacceptable by
 * policy is `invalid_request`; no grant on the target API is `invalid_target`.
 */
export const tokenExchangeGrant: GrantDefinition = {
  grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
  requiredClientGrant: 'TOKEN_EXCHANGE',
  params: [
    'subject_token',
    'subject_token_type',
    'actor_token',
    'actor_token_type',
    'requested_token_type',
    'audience',
    'resource',
    'scope',
  ],
  handle: exchangeToken,
};

/** What the exchange uses of a subject or actor token, once verified. */
interface PresentedToken {
  sub: string;
  exp: number;
  /** The client_id of the client it was issued to. */
  clientId: string;
  act?: ActorClaim;
  /** An access token itself and the tokens it was exchanged from; [] for an ID token (nothing to revoke). */
  chain: ExchangedFrom[];
}

async function exchangeToken({ client, params, requestId, services }: GrantRequest): Promise<GrantResponse> {
  // The settings of public clients never allow the grant; refused here whatever is stored.
  if (isPublicClient(client.appType)) throw unauthorizedClient('Public clients cannot exchange tokens');
  const subjectToken = params.get('subject_token');
  const subjectType = params.get('subject_token_type');
  if (subjectToken === undefined || subjectType === undefined) throw invalidRequest('subject_token and subject_token_type are required');
  const actorToken = params.get('actor_token');
  const actorType = params.get('actor_token_type');
  if ((actorToken === undefined) !== (actorType === undefined)) throw invalidRequest('actor_token and actor_token_type go together');
  const requestedType = params.get('requested_token_type');
  if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE) {
    throw invalidRequest(`requested_token_type is not supported: only ${ACCESS_TOKEN_TYPE} is issued`);
  }
  const scopeParam = params.get('scope');
  const requested = scopeParam === undefined ? undefined : parseScopeParam(scopeParam);

  const api = await resolveApi(services.registry, params);
  const grant = await services.registry.grant(client.id, api.server.id);
  // RFC 8693 §2.2.2: unwilling to issue a token for the target.
  if (!grant) throw invalidTarget('This client is not authorized for this API');

  const subject = await readToken(services, client, subjectToken, subjectType, 'subject_token');
  const actor = actorToken === undefined ? undefined : await readToken(services, client, actorToken, actorType!, 'actor_token');
  if (actor && actor.clientId !== client.clientId) throw invalidRequest('actor_token was not issued to this client');

  const userId = userIdOfSubject(subject.sub);
  let user: UserEntity | null = null;
  if (userId !== null) {
    user = await services.users.findById(userId);
    if (!user || user.blocked) throw invalidRequest('The user of subject_token can no longer sign in');
  }

  const act: ActorClaim = { sub: actor?.sub ?? client.clientId, ...(subject.act ? { act: subject.act } : {}) };
  const exchangedFrom = [...subject.chain, ...(actor?.chain ?? [])];
  if (exchangedFrom.length > EXCHANGE_CHAIN_MAX || actOf({ act }) === null) {
    throw invalidRequest(`Too long a delegation chain: at most ${EXCHANGE_CHAIN_MAX} exchanges`);
  }

  // Scopes the API no longer defines are dropped from grants; intersect anyway, as client_credentials does.
  const granted = grant.scopes.filter((s) => api.scopes.has(s));
  const allowed = user ? (await applyUserPolicy(services.roles, api, user.id, granted)).scopes : granted;
  let scopes = allowed;
  if (requested !== undefined) {
    const notAllowed = requested.filter((s) => !allowed.includes(s));
    if (notAllowed.length > 0) {
      throw invalidScope(`Scope not allowed for this exchange: ${notAllowed.slice(0, 5).join(' ').slice(0, 300)}`);
    }
    scopes = requested;
  }

  // Never outlives the tokens it comes from: their denylist entries, kept until they expire, cover it.
  const now = Math.floor(services.clock.now().getTime() / 1000);
  const remaining = Math.min(subject.exp, actor?.exp ?? Infinity) - now;
  if (remaining < 1) throw invalidRequest('subject_token or actor_token has expired');
  const token = await services.pipeline.issueAccessToken(
    {
      grantType: tokenExchangeGrant.grantType,
      client,
      api,
      user,
      scopes,
      requestId,
      delegation: { subject: subject.sub, act, exchangedFrom },
    },
    { lifetime: Math.min(api.server.tokenLifetime, remaining) },
  );
  return { ...token, issuedTokenType: ACCESS_TOKEN_TYPE };
}

/** A subject or actor token of a supported type, verified; `invalid_request` for anything else. */
async function readToken(services: GrantServices, client: TokenClient, token: string, type: string, name: string): Promise<PresentedToken> {
  if (type === ACCESS_TOKEN_TYPE) {
    const valid = await refusingInvalid(name, services.validator.validate(token));
    const { payload, api, clientId } = valid;
    const act = actOf(payload);
    if (act === null) throw invalidRequest(`${name} is invalid, expired or revoked`);
    const self: ExchangedFrom = { jti: payload.jti, client_id: clientId, aud: api.server.identifier, iat: payload.iat };
    // The validator refused a malformed exchanged_from.
    return { sub: payload.sub!, exp: payload.exp, clientId, act, chain: [self, ...exchangedFromOf(payload)!] };
  }
  if (type === ID_TOKEN_TYPE) {
    // Only the client an ID token was issued to (its aud) may present it.
    const payload = await refusingInvalid(
      name,
      services.verifier.verify(token, { audience: client.clientId, algorithm: client.idTokenSigningAlgorithm, typ: 'JWT' }),
    );
    // An access token (Auth0 dialect, typ JWT) of an API named like this client would pass the checks
    // above: ID tokens carry no scope, and name the client as azp.
    if (payload.scope !== undefined || payload.azp !== client.clientId) throw invalidRequest(`${name} is invalid, expired or revoked`);
    return { sub: payload.sub!, exp: payload.exp!, clientId: client.clientId, chain: [] };
  }
  throw invalidRequest(`${name}_type is not supported: use ${ACCESS_TOKEN_TYPE} or ${ID_TOKEN_TYPE}`);
}

/** The verified token, or `invalid_request` (RFC 8693 §2.2.2) when it is invalid, expired or revoked. */
async function refusingInvalid<T>(name: string, verifying: Promise<T>): Promise<T> {
  try {
    return await verifying;
  } catch (error) {
    if (error instanceof InvalidTokenError) throw invalidRequest(`${name} is invalid, expired or revoked`);
    throw error;
  }
}
