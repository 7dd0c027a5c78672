import type { FastifyInstance, FastifyReply } from 'fastify';
import { invalidClient, invalidRequest } from './errors';
import { readParams } from './params';
import type { ClientAuthenticator } from './client-auth/authenticate';
import { oauthRouteOptions, sendOAuthError, toOAuthError, NO_STORE } from './token-endpoint';
import type { OAuthRouteHooks } from './rate-limits';
import { InvalidTokenError } from './token-verifier';
import type { Registry } from './registry';
import type { TokenValidator } from './token-validator';
import { boundKeyOf } from './dpop/sender-constraint';

/** The scope, defined on an API and held in a client's grant for it, that lets the client introspect its tokens. */
export const INTROSPECT_SCOPE = 'introspect';

const INACTIVE = { active: false } as const;

/**
 * POST /oauth/introspect (RFC 7662). The caller authenticates as a confidential client, like at
 * the token endpoint. It learns about a token only if it holds a client grant on the token's API
 * that includes the scope `introspect`; for any other token, and for every token that is not
 * active (expired, revoked, denylisted, signed by a revoked key or an expired secret, issued
 * before a watermark, client deleted), the answer is `{"active": false}` and nothing more. An
 * active DPoP-bound token is answered with its `cnf` and `token_type: DPoP`.
 */
export function registerIntrospectionEndpoint(
  app: FastifyInstance,
  /** `observe` is told each outcome: "active", "inactive" or the OAuth error code (for metrics). */
  deps: {
    registry: Registry;
    clientAuth: ClientAuthenticator;
    validator: TokenValidator;
    rateLimits: OAuthRouteHooks;
    observe?: (outcome: string) => void;
  },
): void {
  const authenticateClient = deps.clientAuth.at('/oauth/introspect');
  const inactive = (reply: FastifyReply) => {
    deps.observe?.('inactive');
    return reply.send(INACTIVE);
  };
  app.post('/oauth/introspect', oauthRouteOptions(deps.rateLimits), async (request, reply) => {
    try {
      const params = readParams(request.body);
      const caller = await authenticateClient(request, params);
      if (!caller.method.confidential) throw invalidClient(false);
      const token = params.get('token');
      if (token === undefined) throw invalidRequest('token is required');
      reply.headers(NO_STORE);
      let valid;
      try {
        valid = await deps.validator.validate(token);
      } catch (error) {
        if (error instanceof InvalidTokenError) return inactive(reply);
        throw error;
      }
      const grant = await deps.registry.grant(caller.client.id, valid.api.server.id);
      if (!grant?.scopes.includes(INTROSPECT_SCOPE)) return inactive(reply);
      deps.observe?.('active');
      // A DPoP-bound token keeps its `cnf` (RFC 9449 §6.2), so the resource can check the proof's key.
      const tokenType = boundKeyOf(valid.payload) === undefined ? 'Bearer' : 'DPoP';
      return reply.send({ active: true, ...valid.payload, client_id: valid.clientId, token_type: tokenType });
    } catch (error) {
      const oauthError = toOAuthError(error, request.log);
      deps.observe?.(oauthError.error);
      return sendOAuthError(reply, oauthError);
    }
  });
}
