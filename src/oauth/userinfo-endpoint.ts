import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserEntity } from '../domain/user/user.entity';
import { standardClaims } from '../domain/user/standard-claims';
import { subjectOf, userIdOfSubject } from '../domain/user/subject';
import { bearerChallenge, dpopChallenge, presentedToken, type PresentedToken } from './bearer';
import { DpopError, type DpopProofVerifier } from './dpop/proof';
import { checkSenderConstraint } from './dpop/sender-constraint';
import { ClientOrigins, OriginNotAllowedError } from './client-origins';
import { OAuthError } from './errors';
import { readParams } from './params';
import type { Registry } from './registry';
import { OPENID } from './standard-scopes';
import { NO_STORE, requestFault, sendOAuthError, TOKEN_BODY_LIMIT, toOAuthError } from './token-endpoint';
import type { TokenValidator } from './token-validator';
import { InvalidTokenError } from './token-verifier';
import { USERINFO_PATH } from './userinfo-url';

/** A refusal of the userinfo endpoint: an RFC 6750 §3.1 error, in the `WWW-Authenticate` challenge and the body. */
class UserinfoError extends OAuthError {
  constructor(
    error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined,
    description: string,
    status: number,
    /** The origin refusal this answers, if it is one: never readable cross-origin. */
    readonly originRefusal?: OriginNotAllowedError,
  ) {
    super(error ?? 'invalid_token', description, status, {
      'WWW-Authenticate': bearerChallenge({
        error,
        error_description: error === undefined ? undefined : description,
        scope: error === 'insufficient_scope' ? OPENID : undefined,
      }),
    });
  }
}

/** A refused DPoP proof at /userinfo: 401 with a `WWW-Authenticate: DPoP` challenge (and `DPoP-Nonce` for use_dpop_nonce). */
function proofRefusal(error: DpopError): OAuthError {
  return new OAuthError(error.error, error.description, 401, {
    ...error.headers,
    'WWW-Authenticate': dpopChallenge({ error: error.error, error_description: error.description }),
  });
}

export interface UserinfoDeps {
  validator: TokenValidator;
  registry: Registry;
  users: { findById(id: string): Promise<UserEntity | null> };
  /** CORS: browsers on an origin the token's client allows. */
  origins: ClientOrigins;
  /** The userinfo endpoint's URL: the audience a token must carry, and the `htu` of DPoP proofs. */
  audience: string;
  dpop: DpopProofVerifier;
}

/**
 * GET/POST /userinfo (OpenID Connect Core §5.3): the claims about the signed-in user that the
 * access token's scopes release. The token (RFC 6750: the Authorization header, or for POST the
 * form field `access_token`) must be active, carry the userinfo audience (user tokens with
 * `openid` do: see the token pipeline) and the `openid` scope, and name a user who may still sign
 * in. Errors are RFC 6750 challenges: 401 `invalid_token`, 403 `insufficient_scope`, 400 `invalid_request`.
 */
export function registerUserinfoEndpoint(app: FastifyInstance, deps: UserinfoDeps): void {
  deps.origins.registerPreflight(app, USERINFO_PATH, ['GET', 'POST']);

  /**
   * Any failure, the handler's or Fastify's before it (content type, body limit, JSON syntax): an
   * RFC 6750 challenge, or `server_error` for an unexpected fault.
   */
  const refuse = async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const invalid = error instanceof OAuthError ? error : requestFault(error);
    const refusal =
      error instanceof UserinfoError
        ? error
        : error instanceof DpopError
          ? proofRefusal(error)
          : invalid
            ? new UserinfoError('invalid_request', invalid.description, 400)
            : undefined;
    // Not the token's fault (no Bearer challenge): 503 when the database is unreachable, else server_error.
    if (!refusal) return sendOAuthError(reply, toOAuthError(error, request.log));
    await deps.origins.exposeError(request, reply, (refusal instanceof UserinfoError && refusal.originRefusal) || refusal);
    return reply
      .code(refusal.status)
      .headers({ ...NO_STORE, ...refusal.headers })
      .send(refusal.toJSON());
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const presented = tokenOf(request);
      let valid;
      let proof;
      try {
        valid = await deps.validator.validate(presented.token);
        proof = await checkSenderConstraint(deps.dpop, presented, valid.payload, {
          method: request.method,
          url: deps.audience,
          headers: request.headers,
        });
      } catch (error) {
        if (error instanceof InvalidTokenError) throw new UserinfoError('invalid_token', error.message, 401);
        throw error;
      }
      if (proof?.nonce !== undefined) reply.header('DPoP-Nonce', proof.nonce);
      const { payload } = valid;
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!audiences.includes(deps.audience))
        throw new UserinfoError('invalid_token', 'The access token is not for the userinfo endpoint', 401);
      // A browser page reads the answer only from an origin the token's client allows (as at the token endpoint).
      const cached = await deps.registry.client(valid.clientId);
      if (!cached) throw new UserinfoError('invalid_token', 'The client of this token no longer exists', 401);
      try {
        deps.origins.admit(request, reply, cached.client);
      } catch (error) {
        if (error instanceof OriginNotAllowedError) throw new UserinfoError('invalid_token', error.description, 401, error);
        throw error;
      }
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      if (!scopes.includes(OPENID)) throw new UserinfoError('insufficient_scope', 'The access token does not carry the openid scope', 403);
      const userId = typeof payload.sub === 'string' ? userIdOfSubject(payload.sub) : null;
      const user = userId === null ? null : await deps.users.findById(userId);
      if (!user || user.blocked) throw new UserinfoError('invalid_token', 'The user of this access token can no longer sign in', 401);
      return reply.headers(NO_STORE).send({ sub: subjectOf(user), ...standardClaims(user, scopes) });
    } catch (error) {
      return refuse(error, request, reply);
    }
  };

  app.get(USERINFO_PATH, { errorHandler: refuse }, handle);
  app.post(USERINFO_PATH, { bodyLimit: TOKEN_BODY_LIMIT, errorHandler: refuse }, handle);
}

/** The access token of the request: the Authorization header, or the POST form field (as Bearer; never both: RFC 6750 §2). */
function tokenOf(request: FastifyRequest): PresentedToken {
  const fromHeader = presentedToken(request.headers.authorization);
  if (fromHeader === null) {
    throw new UserinfoError('invalid_request', 'The Authorization header must be: Bearer <access token> (or DPoP <access token>)', 400);
  }
  const fromBody = request.method === 'POST' ? readParams(request.body).get('access_token') : undefined;
  if (fromHeader !== undefined && fromBody !== undefined) {
    throw new UserinfoError('invalid_request', 'Send the access token once: in the Authorization header or the body', 400);
  }
  // No credentials at all: a bare challenge, without an error code (RFC 6750 §3.1).
  if (fromHeader === undefined && fromBody === undefined) throw new UserinfoError(undefined, 'An access token is required', 401);
  return fromHeader ?? { scheme: 'Bearer', token: fromBody! };
}
