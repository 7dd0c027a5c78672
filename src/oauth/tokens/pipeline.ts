import { signJws } from '../../crypto/jws';
import { randomToken } from '../../crypto/random';
import type { KeyRing } from '../../crypto/key-ring';
import type { AsymmetricAlgorithm } from '../../crypto/key-pairs';
import type { Clock } from '../../lib/clock';
import { traceSpan } from '../../lib/trace-span';
import { userinfoUrl } from '../userinfo-url';
import { OPENID } from '../standard-scopes';
import { applyUserPolicy, RolePermissions } from '../user-policy';
import { setDelegationClaims } from './delegation';
import { setDialectClaims, tokenTyp } from './dialect';
import { IdTokenContext, idTokenClaims } from './id-token';
import { CustomClaimsSource, PROTECTED_CLAIMS, TokenContext } from './token-context';
import type { Authentication } from '../../domain/sign-in/authentication';
import type { UserEntity } from '../../domain/user/user.entity';
import { invalidRequest } from '../errors';
import { assertUserTokenAllowed } from '../management-user-tokens';

/** The refusal of a token for a DPOP_REQUIRED API without a proof. */
export const DPOP_PROOF_REQUIRED = 'This API requires DPoP-bound tokens: send a DPoP proof';

/** An access token as the token endpoint (and the implicit response) returns it, with what callers record of it. */
export interface IssuedToken {
  accessToken: string;
  /** DPoP when the token is bound to a key (`cnf.jkt`, RFC 9449). */
  tokenType: 'Bearer' | 'DPoP';
  /** The thumbprint of the key it is bound to (`cnf.jkt`), when it is. */
  jkt?: string;
  /** Seconds. */
  expiresIn: number;
  /** The final scope string (after the user policy). */
  scope: string;
  jti: string;
  expiresAt: Date;
}

export interface IssueOptions {
  /** Seconds; default the API's tokenLifetime (the implicit grant passes tokenLifetimeForWeb). */
  lifetime?: number;
}

export interface TokenPipelineDeps {
  keyRing: KeyRing;
  /** The issuer URL (config.issuer): every token's `iss`. */
  issuer: string;
  /** RBAC: the user's permissions, for APIs with enforcePolicies. */
  roles: RolePermissions;
  clock: Clock;
  /** Asked in order; a later source wins over an earlier one for the same (unprotected) claim. */
  claimsSources: readonly CustomClaimsSource[];
}

/**
 * The one way a token is issued, whatever the grant: dialect claims → user policy (RBAC, user
 * tokens only) → custom claims → protected claims (with a token exchange's `act`), set last →
 * signature with the API's key.
 *
 * The client-credentials path is the hot path: with no custom-claims source answering, it awaits
 * nothing but the key and the signature.
 */
export class TokenPipeline {
  /** The userinfo endpoint's URL: an audience of user tokens that carry `openid`. */
  private readonly userinfoAudience: string;

  constructor(private readonly deps: TokenPipelineDeps) {
    this.userinfoAudience = userinfoUrl(deps.issuer);
  }

  /** Traced as a span of its own (`oauth.token.issue`) when tracing is on: what was asked for, never the token. */
  issueAccessToken(context: TokenContext, options?: IssueOptions): Promise<IssuedToken> {
    const attributes = {
      'oauth.grant_type': context.grantType,
      'oauth.client_id': context.client.clientId,
      'oauth.audience': context.api.server.identifier,
    };
    return traceSpan('oauth.token.issue', attributes, () => this.issue(context, options));
  }

  private async issue(context: TokenContext, options: IssueOptions | undefined): Promise<IssuedToken> {
    const { server } = context.api;
    // RFC 9449: bound to the proof's key unless the API ignores proofs (NONE); a DPOP_REQUIRED API issues nothing unbound.
    const jkt = server.proofOfPossession === 'NONE' ? undefined : context.dpopJkt;
    if (jkt === undefined && server.proofOfPossession === 'DPOP_REQUIRED') throw invalidRequest(DPOP_PROOF_REQUIRED);
    let scopes = context.scopes;
    let permissions = scopes;
    if (context.user !== null) {
      assertUserTokenAllowed(server, context.client);
      // Evaluated at every issuance, so a role removed applies from the next token.
      ({ scopes, permissions } = await applyUserPolicy(this.deps.roles, context.api, context.user.id, scopes));
    }

    // Custom claims first: the payload starts with them, then the protected claims overwrite.
    let payload: Record<string, unknown> = {};
    const sources = this.deps.claimsSources;
    for (let i = 0; i < sources.length; i++) {
      const pending = sources[i].claimsFor(context);
      if (pending !== undefined) payload = mergeCustomClaims(payload, await pending);
    }

    const lifetime = options?.lifetime ?? server.tokenLifetime;
    const now = Math.floor(this.deps.clock.now().getTime() / 1000);
    const jti = randomToken(16);
    const scope = scopes.join(' ');
    payload.iss = this.deps.issuer;
    // A user token carrying `openid` is for the userinfo endpoint too (Auth0 does the same): a
    // second audience, so the API's own check (`aud` contains its identifier) is unchanged.
    payload.aud =
      context.user !== null && scopes.includes(OPENID) && server.identifier !== this.userinfoAudience
        ? [server.identifier, this.userinfoAudience]
        : server.identifier;
    payload.iat = now;
    payload.exp = now + lifetime;
    payload.jti = jti;
    setDialectClaims(payload, context, scope, permissions);
    if (jkt !== undefined) payload.cnf = { jkt };
    if (context.delegation) setDelegationClaims(payload, context.delegation);

    const typ = tokenTyp(server.tokenDialect);
    let accessToken: string;
    if (server.signingAlgorithm === 'HS256') {
      const { kid, key } = await this.deps.keyRing.hsSigningKey(server.id);
      accessToken = await signJws({ alg: 'HS256', typ, kid }, payload, key);
    } else {
      const key = await this.deps.keyRing.signingKey(server.signingAlgorithm as AsymmetricAlgorithm);
      accessToken = await signJws({ alg: key.algorithm, typ, kid: key.kid }, payload, key.privateKey);
    }
    const expiresAt = new Date((now + lifetime) * 1000);
    if (jkt === undefined) return { accessToken, tokenType: 'Bearer', expiresIn: lifetime, scope, jti, expiresAt };
    return { accessToken, tokenType: 'DPoP', jkt, expiresIn: lifetime, scope, jti, expiresAt };
  }

  /**
   * A user's tokens from a sign-in (code exchange, refresh): the access token, and with `openid`
   * among its final scopes an ID token for the same sign-in (its `at_hash` names the access token).
   */
  async issueUserTokens(
    context: TokenContext & { user: UserEntity },
    signIn: { authentication: Authentication | null; nonce?: string | null },
  ): Promise<{ token: IssuedToken; idToken?: string }> {
    const token = await this.issueAccessToken({ ...context, sessionId: signIn.authentication?.sid });
    const scopes = token.scope.split(' ').filter((s) => s !== '');
    if (!scopes.includes(OPENID)) return { token };
    const { client, user } = context;
    const idToken = await this.issueIdToken({ client, user, scopes, ...signIn, accessToken: token.accessToken });
    return { token, idToken };
  }

  /**
   * An ID token (OpenID Connect Core §2, §3.1.3.6) for the client, signed with the service's key
   * ring in the client's idTokenSigningAlgorithm (published in the JWKS), valid idTokenLifetime.
   */
  async issueIdToken(context: IdTokenContext): Promise<string> {
    const { client } = context;
    const now = Math.floor(this.deps.clock.now().getTime() / 1000);
    const payload = { ...idTokenClaims(context), iss: this.deps.issuer, iat: now, exp: now + client.idTokenLifetime };
    const key = await this.deps.keyRing.signingKey(client.idTokenSigningAlgorithm);
    return signJws({ alg: key.algorithm, typ: 'JWT', kid: key.kid }, payload, key.privateKey);
  }
}

/**
 * Copies a source's claims into `into`, leaving out every protected claim, including those this
 * token does not carry (a hook must not add `cnf`, `act` or `nonce` either).
 */
function mergeCustomClaims(into: Record<string, unknown>, claims: Record<string, unknown>): Record<string, unknown> {
  if (claims === null || typeof claims !== 'object') return into;
  for (const name of Object.keys(claims)) {
    // `__proto__` would set the payload's prototype instead of a claim.
    if (!PROTECTED_CLAIMS.has(name) && name !== '__proto__') into[name] = claims[name];
  }
  return into;
}
