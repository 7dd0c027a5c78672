import type { AuthorizationCodeService } from '../../domain/authorization/authorization-code.service';
import type { UsedNonceService } from '../../domain/authorization/used-nonce.service';
import type { TokenPipeline } from '../tokens/pipeline';
import { OAuthError } from '../errors';
import type { SignedIn } from './sign-in-step';
import { AuthorizationRequest, AuthorizeError, ResponseTarget } from './request';

/**
 * The authorization response: what grants a request to the signed-in user (an authorization code,
 * or with the implicit grant an access token), and how a response, success or error, reaches the
 * client in its response mode.
 */

export interface ResponseDeps {
  authorizationCodes: Pick<AuthorizationCodeService, 'issue'>;
  usedNonces: Pick<UsedNonceService, 'claim'>;
  /** Issues the implicit grant's access token (user policy, custom claims and signature). */
  pipeline: TokenPipeline;
}

/** Seconds a nonce is remembered beyond its token's lifetime (clock skew between instances). */
const NONCE_MARGIN_SECONDS = 60;

/**
 * The response parameters that grant the request: `code` (RFC 6749 §4.1.2), or the access token's
 * (§4.2.2). An implicit request whose nonce was used before is refused (AuthorizeError).
 */
export async function grantResponse(
  deps: ResponseDeps,
  req: AuthorizationRequest,
  { user, session }: SignedIn,
  requestId?: string,
): Promise<Record<string, string>> {
  const { client, api } = req;
  if (req.responseType === 'code') {
    const code = await deps.authorizationCodes.issue({
      nonce: req.nonce,
      authentication: { sid: session.sid, authTime: session.authTime },
      clientUuid: client.id,
      userId: user.id,
      resourceServerId: api.server.id,
      redirectUri: req.redirectUri,
      scopes: req.scopes,
      codeChallenge: req.codeChallenge,
      codeChallengeMethod: req.codeChallengeMethod,
      dpopJkt: req.dpopJkt,
    });
    return { code };
  }
  // Implicit: the nonce is remembered until the token expires; a second use is refused.
  const lifetime = api.server.tokenLifetimeForWeb;
  if (!(await deps.usedNonces.claim(client.id, req.nonce!, lifetime + NONCE_MARGIN_SECONDS))) {
    throw new AuthorizeError(req, 'invalid_request', 'nonce already used');
  }
  // A refusal while issuing (a token hook's access_denied) goes back to the client as an error response.
  const token = await deps.pipeline
    .issueAccessToken({ grantType: 'implicit', client, api, user, scopes: req.scopes, sessionId: session.sid, requestId }, { lifetime })
    .catch((error: unknown) => {
      throw error instanceof OAuthError ? new AuthorizeError(req, error.error, error.description) : error;
    });
  return { access_token: token.accessToken, token_type: token.tokenType, expires_in: String(token.expiresIn), scope: token.scope };
}

/** The error response parameters of a refused request (RFC 6749 §4.1.2.1). */
export function errorResponse(error: AuthorizeError): Record<string, string> {
  return { error: error.error, error_description: error.description };
}

/** How a response reaches the client: a redirect (query or fragment), or a page that posts it (form_post). */
export type AuthorizationResponse =
  { mode: 'redirect'; location: string } | { mode: 'form_post'; redirectUri: string; params: Record<string, string> };

/**
 * A response to the client at `target`: the values (undefined ones left out), its `state`, and
 * `iss` (RFC 9207), in the target's response mode.
 */
export function authorizationResponse(
  issuer: string,
  target: ResponseTarget,
  values: Record<string, string | undefined>,
): AuthorizationResponse {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) params[name] = value;
  if (target.state !== undefined) params.state = target.state;
  params.iss = issuer;
  if (target.responseMode === 'form_post') return { mode: 'form_post', redirectUri: target.redirectUri, params };
  const encoded = new URLSearchParams(params).toString();
  // A registered URI may hold non-ASCII characters: percent-encoded, as a browser would, for the header.
  const base = target.redirectUri.replace(/[^\x21-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  const location = target.responseMode === 'fragment' ? `${base}#${encoded}` : `${base}${base.includes('?') ? '&' : '?'}${encoded}`;
  return { mode: 'redirect', location };
}
