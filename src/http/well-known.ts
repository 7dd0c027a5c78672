import type { FastifyInstance } from 'fastify';
import type { KeyRing } from '../crypto/key-ring';

export const JWKS_MAX_AGE = 300;

/** RFC 8414 metadata (also served as OpenID discovery) and the public JWK Set. */
export function registerWellKnown(app: FastifyInstance, deps: { issuer: string; keyRing: KeyRing }): void {
  const metadata = {
    issuer: deps.issuer,
    authorization_endpoint: `${deps.issuer}/authorize`,
    token_endpoint: `${deps.issuer}/oauth/token`,
    jwks_uri: `${deps.issuer}/.well-known/jwks.json`,
    // The token endpoint's grants, plus implicit (at /authorize only).
    grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token', 'implicit'],
    // `none`: public clients (SPA, native) exchanging codes with PKCE.
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint: `${deps.issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // RFC 7009; public clients revoke their own tokens with their client_id alone.
    revocation_endpoint: `${deps.issuer}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    response_types_supported: ['code', 'token'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: authorization responses carry `iss`.
    authorization_response_iss_parameter_supported: true,
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
