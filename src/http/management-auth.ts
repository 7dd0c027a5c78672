import { bearerChallenge, dpopChallenge, presentedToken } from '../oauth/bearer';
import { DpopError, type DpopProofVerifier } from '../oauth/dpop/proof';
import { checkSenderConstraint } from '../oauth/dpop/sender-constraint';
import { isDatabaseUnavailable } from '../db/database-errors';
import { SERVICE_UNAVAILABLE } from './graphql-errors';
import { Kind, parse, OperationDefinitionNode } from 'graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../graphql/context';
import { InvalidTokenError } from '../oauth/token-verifier';
import type { TokenValidator } from '../oauth/token-validator';
import type { AuditLog } from '../domain/audit/audit-log';
import type { GraphQLRateLimits } from './graphql-rate-limits';
import type { UserEntity } from '../domain/user/user.entity';
import { userIdOfSubject } from '../domain/user/subject';

const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * The one description of every refused /graphql token: why it was refused (expired, revoked, the
 * wrong API, …) would tell a token thief which tokens are worth trying. The reason is logged and
 * audited instead.
 */
export const MANAGEMENT_TOKEN_REQUIRED = 'A valid access token for the Management API is required';

export function principalOf(request: unknown): Principal | null {
  return principals.get(request as FastifyRequest) ?? null;
}

/** True when the operation asks only for schema introspection (__schema, __type, __typename). */
export function isIntrospectionOnly(query: unknown, operationName: unknown): boolean {
  if (typeof query !== 'string' || query.length > 100_000) return false;
  try {
    const document = parse(query);
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation =
      typeof operationName === 'string'
        ? operations.find((o) => o.name?.value === operationName)
        : operations.length === 1
          ? operations[0]
          : undefined;
    return (
      operation !== undefined &&
      operation.operation === 'query' &&
      operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'))
    );
  } catch {
    return false;
  }
}

/**
 * Every /graphql request needs an active Management API access token (signature, claims, not
 * revoked: see TokenValidator); while `introspection` is on (INTROSPECTION), schema introspection
 * alone stays open so explorers and code generators work. Failures are HTTP 401 with
 * `WWW-Authenticate: Bearer error="invalid_token"` and an UNAUTHENTICATED GraphQL error, all with the
 * same description (MANAGEMENT_TOKEN_REQUIRED); the specific reason is logged and audited. A browser
 * navigating to /graphql for the explorer page never gets here: the route's onRequest hook serves
 * that static page first (graphql-route.ts, explorer.ts), so every request this hook sees is a
 * GraphQL request, or (introspection off) a request for the schema's SDL.
 *
 * A DPoP-bound token (RFC 9449) is accepted as `Authorization: DPoP <token>` with a proof by its
 * key for this request, never as Bearer (see checkSenderConstraint); a refused proof is a 401
 * `WWW-Authenticate: DPoP` challenge (`invalid_dpop_proof`, or `use_dpop_nonce` with `DPoP-Nonce`).
 *
 * A person's token (its `sub` names a user) counts only when issued to the console, while the
 * user exists and is not blocked, and with the scopes their roles still give: a role taken away or
 * a block applies from the next request, not the token's expiry.
 *
 * Rate limits (`limits`): requests without a valid token count against their address's tokenless
 * budget (a spent one answers 429 instead of 401, and writes no audit event); valid ones against
 * their caller's budget.
 */
export function createManagementAuth(deps: {
  validator: TokenValidator;
  audience: string;
  audit: AuditLog;
  introspection: boolean;
  limits: GraphQLRateLimits;
  dpop: DpopProofVerifier;
  /** The URL of /graphql under the issuer: the `htu` of DPoP proofs. */
  url: string;
  /** People's tokens: the console's client_id, the user directory, their roles' permissions on the Management API (uuid). */
  people: {
    consoleClientId: string;
    managementApiId: string;
    users: { findById(id: string): Promise<UserEntity | null> };
    roles: { permissionsOf(userId: string, resourceServerId: string): Promise<string[]> };
  };
}) {
  /** The scopes a valid token grants now, or why it grants nothing (for the log and the audit event). */
  const grantedScopes = async (sub: string, clientId: string, claimed: Set<string>): Promise<Set<string> | string> => {
    const userId = userIdOfSubject(sub);
    if (userId === null) return claimed;
    if (clientId !== deps.people.consoleClientId) return 'A token issued to a user is accepted from the console only';
    const user = await deps.people.users.findById(userId);
    if (!user || user.blocked) return 'The user of this token can no longer sign in';
    const held = new Set(await deps.people.roles.permissionsOf(userId, deps.people.managementApiId));
    return new Set([...claimed].filter((s) => held.has(s)));
  };

  /** `reason`: why, for the log and the audit event only; `proof`: a refused DPoP proof, answered with its own challenge. */
  const reject = async (request: FastifyRequest, reply: FastifyReply, reason: string, proof?: DpopError) => {
    if (!(await deps.limits.admitTokenless(request, reply))) return;
    request.log.info({ reason }, 'management API token refused');
    deps.audit.recordDenied(
      { subject: null, clientId: null, requestId: String(request.id) },
      { operation: 'authenticate', summary: { reason: proof?.error ?? 'invalid_token', description: reason } },
    );
    if (proof) reply.headers(proof.headers);
    return reply
      .code(401)
      .header(
        'WWW-Authenticate',
        proof
          ? dpopChallenge({ realm: 'management', error: proof.error, error_description: proof.description })
          : bearerChallenge({ realm: 'management', error: 'invalid_token', error_description: MANAGEMENT_TOKEN_REQUIRED }),
      )
      .header('Cache-Control', 'no-store')
      .send({ errors: [{ message: MANAGEMENT_TOKEN_REQUIRED, extensions: { code: 'UNAUTHENTICATED' } }] });
  };

  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.method === 'OPTIONS') return;
    const header = request.headers.authorization;
    if (header === undefined) {
      const source = (request.method === 'GET' ? request.query : request.body) as Record<string, unknown> | undefined;
      if (deps.introspection && isIntrospectionOnly(source?.query, source?.operationName)) {
        await deps.limits.admitTokenless(request, reply);
        return;
      }
      await reject(request, reply, 'An access token for the Management API is required');
      return;
    }
    const presented = presentedToken(header);
    if (!presented) {
      await reject(request, reply, 'The Authorization header must be: Bearer <access token> (or DPoP <access token>)');
      return;
    }
    try {
      const { payload, clientId } = await deps.validator.validate(presented.token, { audience: deps.audience });
      const proof = await checkSenderConstraint(deps.dpop, presented, payload, {
        method: request.method,
        url: deps.url,
        headers: request.headers,
      });
      if (proof?.nonce !== undefined) reply.header('DPoP-Nonce', proof.nonce);
      const subject = String(payload.sub);
      const claimed = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []);
      const scopes = await grantedScopes(subject, clientId, claimed);
      if (typeof scopes === 'string') {
        await reject(request, reply, scopes);
        return;
      }
      const principal: Principal = { subject, clientId, scopes };
      if (!(await deps.limits.admitCaller(principal, reply))) return;
      principals.set(request, principal);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        request.log.warn({ err: error }, 'database unavailable');
        await reply
          .code(503)
          .headers({ 'Retry-After': '1', 'Cache-Control': 'no-store' })
          .send({ errors: [SERVICE_UNAVAILABLE] });
        return;
      }
      if (error instanceof DpopError) {
        await reject(request, reply, error.description, error);
        return;
      }
      if (!(error instanceof InvalidTokenError)) throw error;
      await reject(request, reply, error.message);
    }
  };
}
