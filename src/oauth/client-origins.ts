import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenClient } from '../domain/token-read-model';
import { allowOriginHeaders, isPreflight, isSameOrigin, originAllowed, preflightHeaders } from '../lib/cors';
import { OAuthError } from './errors';
import type { Registry } from './registry';

/** What browsers and SDKs send to the OAuth endpoints (auth0-spa-js adds auth0-client; DPoP proofs). */
export const CLIENT_CORS_REQUEST_HEADERS = ['content-type', 'authorization', 'auth0-client', 'dpop'] as const;

/** The refusal of a request whose `Origin` the authenticated client does not allow. */
export class OriginNotAllowedError extends OAuthError {
  constructor() {
    super('invalid_client', 'The request origin is not allowed for this client', 401);
  }
}

/**
 * CORS of the endpoints a client authenticates to (token, revocation, later userinfo), after the
 * clients' allowed origins (Auth0's "Allowed Origins (CORS)"):
 * - a preflight carries no client_id, so it is answered for an origin that some client allows;
 * - an actual request is admitted, after client authentication, only when that client allows its
 *   origin; otherwise `invalid_client` without CORS headers (the page cannot read the answer).
 * Requests without `Origin` (servers, curl) are left alone: one header check on the hot path. So
 * are same-origin ones (the explorer's token helper), which browsers do not subject to CORS.
 */
export class ClientOrigins {
  constructor(private readonly registry: Registry) {}

  /** Answers the CORS preflight of `url` (OPTIONS): 204, with CORS headers only for an origin some client allows. */
  registerPreflight(app: FastifyInstance, url: string, methods: readonly string[]): void {
    app.options(url, async (request, reply) => {
      const origin = request.headers.origin;
      if (isPreflight(request.method, request.headers) && origin !== undefined && (await this.registry.originAllowedByAnyClient(origin))) {
        reply.headers(preflightHeaders(origin, [...methods, 'OPTIONS'], CLIENT_CORS_REQUEST_HEADERS));
      }
      return reply.code(204).send();
    });
  }

  /**
   * After client authentication: throws OriginNotAllowedError unless the request has no `Origin`
   * or `client` allows it; when allowed, the response (errors included) becomes readable by it.
   */
  admit(request: FastifyRequest, reply: FastifyReply, client: TokenClient): void {
    const origin = request.headers.origin;
    if (origin === undefined || isSameOrigin(origin, request.headers.host)) return;
    if (!originAllowed(client.allowedOrigins, origin)) throw new OriginNotAllowedError();
    reply.headers(allowOriginHeaders(origin));
  }

  /**
   * For an error answered before a client admitted the origin (a malformed request, failed client
   * authentication): readable by an origin some client allows, as its preflight was; never after
   * an origin refusal.
   */
  async exposeError(request: FastifyRequest, reply: FastifyReply, error: OAuthError): Promise<void> {
    const origin = request.headers.origin;
    if (origin === undefined || error instanceof OriginNotAllowedError || reply.hasHeader('access-control-allow-origin')) return;
    if (isSameOrigin(origin, request.headers.host)) return;
    const allowed = await this.registry.originAllowedByAnyClient(origin).catch(() => false);
    if (allowed) reply.headers(allowOriginHeaders(origin));
  }
}
