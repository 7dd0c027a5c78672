import type { FastifyInstance } from 'fastify';
import {
  PUSHED_REQUEST_LIFETIME_SECONDS,
  type PushedAuthorizationRequestService,
} from '../domain/authorization/pushed-authorization-request.service';
import { AuthorizeError, PageError, validateAuthorizationRequest, type ValidateDeps } from './authorize/request';
import { REQUEST_URI_PREFIX } from './authorize/pushed-request';
import type { ClientAuthenticator } from './client-auth/authenticate';
import { CREDENTIAL_PARAMS } from './client-auth/method';
import type { ClientOrigins } from './client-origins';
import { invalidRequest, OAuthError } from './errors';
import { readParams } from './params';
import type { OAuthRouteHooks } from './rate-limits';
import { NO_STORE, oauthRouteOptions, sendOAuthError, toOAuthError } from './token-endpoint';

export const PAR_PATH = '/oauth/par';

/**
 * Largest pushed request (its parameters as JSON, in bytes): after sign-in they travel sealed in the
 * URL that continues the request (InteractionForms.pushedContinueUrl), which must stay well under
 * the 16 KB an HTTP server accepts for a request's headers.
 */
export const PUSHED_PARAMS_MAX_BYTES = 8192;

/**
 * POST /oauth/par (RFC 9126): a client pushes its authorization request, authenticated as at the
 * token endpoint (public clients with their client_id alone, §2), and gets a single-use
 * `request_uri` valid PUSHED_REQUEST_LIFETIME_SECONDS, which /authorize redeems. The parameters
 * are checked by /authorize's own validation, its refusals answered here as JSON (§2.3), never
 * redirected. Request objects (`request`, JAR) are not supported.
 */
export function registerPushedAuthorizationRequestEndpoint(
  app: FastifyInstance,
  deps: {
    clientAuth: ClientAuthenticator;
    validation: ValidateDeps;
    pushedRequests: PushedAuthorizationRequestService;
    /** CORS: browsers (SPAs) on an origin the authenticating client allows. */
    origins: ClientOrigins;
    rateLimits: OAuthRouteHooks;
  },
): void {
  const { origins } = deps;
  const authenticateClient = deps.clientAuth.at(PAR_PATH);
  origins.registerPreflight(app, PAR_PATH, ['POST']);
  app.post(PAR_PATH, oauthRouteOptions(deps.rateLimits, origins), async (request, reply) => {
    try {
      const params = readParams(request.body);
      const { client } = await authenticateClient(request, params);
      origins.admit(request, reply, client);
      if (params.has('request_uri')) throw invalidRequest('request_uri cannot be pushed');
      if (params.has('request')) throw new OAuthError('request_not_supported', 'Request objects (the request parameter) are not supported');
      // The request names the authenticated client (a client_id in the body is already checked to be it, RFC 9126 §2.1).
      const pushed: [string, string][] = [['client_id', client.clientId]];
      for (const [name, value] of params) if (name !== 'client_id' && !CREDENTIAL_PARAMS.includes(name)) pushed.push([name, value]);
      if (Buffer.byteLength(JSON.stringify(pushed)) > PUSHED_PARAMS_MAX_BYTES) {
        throw invalidRequest(`The pushed authorization request is too large (at most ${PUSHED_PARAMS_MAX_BYTES} bytes of parameters)`);
      }
      await validatePushed(deps.validation, pushed);
      const handle = await deps.pushedRequests.push(client.id, pushed);
      return reply
        .code(201)
        .headers(NO_STORE)
        .send({ request_uri: `${REQUEST_URI_PREFIX}${handle}`, expires_in: PUSHED_REQUEST_LIFETIME_SECONDS });
    } catch (error) {
      const oauthError = toOAuthError(error, request.log);
      await origins.exposeError(request, reply, oauthError);
      return sendOAuthError(reply, oauthError);
    }
  });
}

/**
 * /authorize's validation of the pushed parameters: its refusals as JSON errors (RFC 9126 §2.3),
 * those it would show on an error page (redirect URI) as `invalid_request`.
 */
async function validatePushed(deps: ValidateDeps, params: [string, string][]): Promise<void> {
  try {
    await validateAuthorizationRequest(deps, params, undefined, true);
  } catch (error) {
    if (error instanceof AuthorizeError) throw new OAuthError(error.error, error.description);
    if (error instanceof PageError) throw invalidRequest(error.detail);
    throw error;
  }
}
