import type { FastifyInstance, FastifyReply } from 'fastify';
import type { KeyRing } from '../crypto/key-ring';
import type { GrantRegistry } from '../oauth/grants/registry';
import { authMethodNames, confidentialAuthMethodNames } from '../oauth/client-auth/registry';
import { RESPONSE_MODES, RESPONSE_TYPES } from '../oauth/response-types';
import { endpointUrl } from '../lib/issuer-url';
import { PUBLIC_CORS_HEADERS, registerPublicPreflight } from './cors';

export const JWKS_MAX_AGE = 300;

/**
 * RFC 8414 metadata. What the service supports is derived from the registries (grants, client
 * authentication methods, response types), never written out here; built per request, so a grant
 * registered at run time is listed at once.
 */
export function authorizationServerMetadata(issuer: string, grants: GrantRegistry): Record<string, unknown> {
  // The token endpoint's grants, plus those only /authorize starts (implicit).
  const grantTypes = grants.grantTypes();
  for (const { grantType } of RESPONSE_TYPES) if (!grantTypes.includes(grantType)) grantTypes.push(grantType);
  return {
    issuer,
    authorization_endpoint: endpointUrl(issuer, '/authorize'),
    token_endpoint: endpointUrl(issuer, '/oauth/token'),
    jwks_uri: endpointUrl(issuer, '/.well-known/jwks.json'),
    grant_types_supported: grantTypes,
    // `none`: public clients (SPA, native) exchanging codes with PKCE.
    token_endpoint_auth_methods_supported: authMethodNames(),
    introspection_endpoint: endpointUrl(issuer, '/oauth/introspect'),
    introspection_endpoint_auth_methods_supported: confidentialAuthMethodNames(),
    // RFC 7009; public clients revoke their own tokens with their client_id alone.
    revocation_endpoint: endpointUrl(issuer, '/oauth/revoke'),
    revocation_endpoint_auth_methods_supported: authMethodNames(),
    response_types_supported: RESPONSE_TYPES.map((t) => t.responseType),
    response_modes_supported: RESPONSE_MODES,
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: authorization responses carry `iss`.
    authorization_response_iss_parameter_supported: true,
    service_documentation: endpointUrl(issuer, '/graphql'),
  };
}

/** RFC 8414 metadata (also served as OpenID discovery) and the public JWK Set, readable from any origin. */
export function registerWellKnown(app: FastifyInstance, deps: { issuer: string; keyRing: KeyRing; grants: GrantRegistry }): void {
  const sendMetadata = async (_request: unknown, reply: FastifyReply) =>
    reply
      .headers({ 'Cache-Control': `public, max-age=${JWKS_MAX_AGE}`, ...PUBLIC_CORS_HEADERS })
      .send(authorizationServerMetadata(deps.issuer, deps.grants));
  app.get('/.well-known/oauth-authorization-server', sendMetadata);
  app.get('/.well-known/openid-configuration', sendMetadata);
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply
      .headers({ 'Cache-Control': `public, max-age=${JWKS_MAX_AGE}`, ...PUBLIC_CORS_HEADERS })
      .type('application/jwk-set+json; charset=utf-8')
      .send(deps.keyRing.jwks()),
  );
  // Readable from any origin (browser apps discover the issuer and verify ID tokens client-side).
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/.well-known/jwks.json']) {
    registerPublicPreflight(app, url);
  }
}
