import type { FastifyInstance } from 'fastify';
import { KeyRing } from '../crypto/key-ring';
import { ASYMMETRIC_ALGORITHMS } from '../crypto/key-pairs';
import { PROMPTS } from '../oauth/authorize/request';
import { END_SESSION_PATH } from '../oauth/logout/endpoint';
import { STANDARD_SCOPES } from '../oauth/standard-scopes';
import { SUPPORTED_CLAIMS } from '../oauth/tokens/id-token';
import { userinfoUrl } from '../oauth/userinfo-url';
import type { GrantRegistry } from '../oauth/grants/registry';
import { authMethodNames, authSigningAlgorithms, confidentialAuthMethodNames } from '../oauth/client-auth/registry';
import { RESPONSE_MODES, RESPONSE_TYPES } from '../oauth/response-types';
import { PAR_PATH } from '../oauth/par-endpoint';
import { DEVICE_CODE_GRANT_TYPE } from '../oauth/grants/device-code';
import { DEVICE_AUTHORIZATION_PATH } from '../oauth/device/authorization-endpoint';
import { endpointUrl } from '../lib/issuer-url';
import { DPOP_SIGNING_ALGORITHMS } from '../oauth/dpop/proof';
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
  // The algorithms of client assertions (private_key_jwt), the same at every endpoint that authenticates clients.
  const signingAlgorithms = authSigningAlgorithms();
  return {
    issuer,
    authorization_endpoint: endpointUrl(issuer, '/authorize'),
    token_endpoint: endpointUrl(issuer, '/oauth/token'),
    jwks_uri: endpointUrl(issuer, '/.well-known/jwks.json'),
    grant_types_supported: grantTypes,
    // `none`: public clients (SPA, native) exchanging codes with PKCE.
    token_endpoint_auth_methods_supported: authMethodNames(),
    token_endpoint_auth_signing_alg_values_supported: signingAlgorithms,
    introspection_endpoint: endpointUrl(issuer, '/oauth/introspect'),
    introspection_endpoint_auth_methods_supported: confidentialAuthMethodNames(),
    introspection_endpoint_auth_signing_alg_values_supported: signingAlgorithms,
    // RFC 7009; public clients revoke their own tokens with their client_id alone.
    revocation_endpoint: endpointUrl(issuer, '/oauth/revoke'),
    revocation_endpoint_auth_methods_supported: authMethodNames(),
    revocation_endpoint_auth_signing_alg_values_supported: signingAlgorithms,
    // RFC 8628, while its grant is registered; clients authenticate there as at the token endpoint.
    ...(grants.get(DEVICE_CODE_GRANT_TYPE) ? { device_authorization_endpoint: endpointUrl(issuer, DEVICE_AUTHORIZATION_PATH) } : {}),
    response_types_supported: RESPONSE_TYPES.map((t) => t.responseType),
    response_modes_supported: RESPONSE_MODES,
    code_challenge_methods_supported: ['S256'],
    // RFC 9126, authenticated like the token endpoint; required per client (requirePushedAuthorizationRequests), not by default.
    pushed_authorization_request_endpoint: endpointUrl(issuer, PAR_PATH),
    require_pushed_authorization_requests: false,
    // RFC 9207: authorization responses carry `iss`.
    authorization_response_iss_parameter_supported: true,
    // RFC 9449 §5.1: the algorithms of DPoP proofs (token endpoint, Management API, userinfo).
    dpop_signing_alg_values_supported: DPOP_SIGNING_ALGORITHMS,
    service_documentation: endpointUrl(issuer, '/graphql'),
  };
}

/**
 * OpenID Connect Discovery 1.0 §3: the RFC 8414 metadata and what an OpenID Provider adds.
 * `id_token_signing_alg_values_supported` lists every asymmetric algorithm of the key ring, so
 * middleware that reads it as the algorithms of access tokens too (express-oauth2-jwt-bearer does)
 * accepts every API's (HS256 APIs are verified with their secret, never through discovery).
 */
export function openIdProviderMetadata(issuer: string, grants: GrantRegistry): Record<string, unknown> {
  return {
    ...authorizationServerMetadata(issuer, grants),
    userinfo_endpoint: userinfoUrl(issuer),
    end_session_endpoint: endpointUrl(issuer, END_SESSION_PATH),
    scopes_supported: STANDARD_SCOPES,
    claims_supported: SUPPORTED_CLAIMS,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ASYMMETRIC_ALGORITHMS,
    prompt_values_supported: PROMPTS,
    // Discovery's defaults would claim request_uri support: said plainly.
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}

/** RFC 8414 metadata, OpenID discovery and the public JWK Set, readable from any origin. */
export function registerWellKnown(app: FastifyInstance, deps: { issuer: string; keyRing: KeyRing; grants: GrantRegistry }): void {
  const metadataHeaders = { 'Cache-Control': `public, max-age=${JWKS_MAX_AGE}`, ...PUBLIC_CORS_HEADERS };
  app.get('/.well-known/oauth-authorization-server', async (_request, reply) =>
    reply.headers(metadataHeaders).send(authorizationServerMetadata(deps.issuer, deps.grants)),
  );
  app.get('/.well-known/openid-configuration', async (_request, reply) =>
    reply.headers(metadataHeaders).send(openIdProviderMetadata(deps.issuer, deps.grants)),
  );
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
