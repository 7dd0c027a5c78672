import type { FastifyInstance } from 'fastify';
import type { KeyRing } from '../crypto/key-ring';
import { SUPPORTED_GRANT_TYPES } from '../oauth/token-endpoint';

export const JWKS_MAX_AGE = 300;

/** RFC 8414 metadata (also served as OpenID discovery) and the public JWK Set. */
export function registerWellKnown(app: FastifyInstance, deps: { issuer: string; keyRing: KeyRing }): void {
  const metadata = {
    issuer: deps.issuer,
    token_endpoint: `${deps.issuer}/oauth/token`,
    jwks_uri: `${deps.issuer}/.well-known/jwks.json`,
    grant_types_supported: SUPPORTED_GRANT_TYPES,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    introspection_endpoint: `${deps.issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // No authorization endpoint yet: no response types (RFC 8414 requires the member).
    response_types_supported: [] as string[],
    service_documentation: `${deps.issuer}/graphql`,
  };
  const sendMetadata = async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE}`).send(metadata);
  app.get('/.well-known/oauth-authorization-server', sendMetadata);
  app.get('/.well-known/openid-configuration', sendMetadata);
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply
      .header('Cache-Control', `public, max-age=${JWKS_MAX_AGE}`)
      .type('application/jwk-set+json; charset=utf-8')
      .send(deps.keyRing.jwks()),
  );
}
