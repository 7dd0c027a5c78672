import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allowOriginHeaders, isPreflight, preflightHeaders } from '../lib/cors';

/** Request headers a management-API frontend sends (Apollo Client's CSRF opt-in included; `dpop` with DPoP-bound tokens). */
export const GRAPHQL_CORS_REQUEST_HEADERS = ['content-type', 'authorization', 'x-request-id', 'apollo-require-preflight', 'dpop'] as const;
const GRAPHQL_METHODS = ['GET', 'POST', 'OPTIONS'] as const;
const PUBLIC_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/**
 * Public documents (discovery, RFC 8414 metadata, the JWKS) are readable from any origin: `*` on
 * their responses (see well-known.ts) and on the preflight registered here for each `url`.
 */
export function registerPublicPreflight(app: FastifyInstance, url: string): void {
  app.options(url, async (_request, reply) =>
    reply
      .code(204)
      .headers(preflightHeaders('*', PUBLIC_METHODS, []))
      .send(),
  );
}

/** The headers that make a public document readable from any origin. */
export const PUBLIC_CORS_HEADERS = allowOriginHeaders('*');

/**
 * The management API's CORS (`CORS_ORIGINS`, exact origins, e.g. a frontend team's dev server):
 * an onRequest hook for /graphql. A listed origin's preflight is answered here (204, before the
 * token check, as preflights carry no token) and its other requests become readable; any other
 * origin gets no CORS headers and goes on unchanged.
 */
export function graphqlCors(allowed: ReadonlySet<string>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return undefined;
    if (isPreflight(request.method, request.headers)) {
      return reply
        .code(204)
        .headers(preflightHeaders(origin, GRAPHQL_METHODS, GRAPHQL_CORS_REQUEST_HEADERS))
        .send();
    }
    reply.headers(allowOriginHeaders(origin));
    return undefined;
  };
}
