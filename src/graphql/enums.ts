import { registerEnumType } from 'type-graphql';
import { PROOF_OF_POSSESSION, SIGNING_ALGORITHMS, SigningAlgorithm, TOKEN_DIALECTS } from '../domain/resource-server/resource-server.rules';
import { APP_TYPES, GRANT_TYPES, REFRESH_TOKEN_ROTATIONS, TOKEN_ENDPOINT_AUTH_METHODS } from '../domain/client/client.rules';
import { ASYMMETRIC_ALGORITHMS } from '../crypto/key-pairs';

/** A TypeScript enum-like object of string values, for registerEnumType. */
export function enumOf<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}

/** Each JWS algorithm once, for every enum that offers it. */
const ALGORITHM_DESCRIPTIONS: Record<SigningAlgorithm, { description: string }> = {
  RS256: { description: 'RSASSA-PKCS1-v1_5 with SHA-256, RSA 2048 key (default).' },
  PS256: { description: 'RSASSA-PSS with SHA-256, RSA 2048 key.' },
  ES256: { description: 'ECDSA P-256 with SHA-256.' },
  EdDSA: { description: 'Ed25519.' },
  HS256: { description: 'HMAC SHA-256 with a per-API secret (the resource server must hold the secret).' },
};

export const SigningAlgorithmEnum = enumOf(SIGNING_ALGORITHMS);
registerEnumType(SigningAlgorithmEnum, {
  name: 'SigningAlgorithm',
  description: "JWS algorithm of an API's access tokens.",
  valuesConfig: ALGORITHM_DESCRIPTIONS,
});

export const IdTokenSigningAlgorithmEnum = enumOf(ASYMMETRIC_ALGORITHMS);
registerEnumType(IdTokenSigningAlgorithmEnum, {
  name: 'IdTokenSigningAlgorithm',
  description: "JWS algorithm of a client's ID tokens: the service's own asymmetric keys (published in the JWKS), never a shared secret.",
  valuesConfig: Object.fromEntries(ASYMMETRIC_ALGORITHMS.map((alg) => [alg, ALGORITHM_DESCRIPTIONS[alg]])),
});

export const TokenDialectEnum = enumOf(TOKEN_DIALECTS);
registerEnumType(TokenDialectEnum, {
  name: 'TokenDialect',
  description: "Header and claims profile of an API's access tokens.",
  valuesConfig: {
    ACCESS_TOKEN: { description: 'Auth0-compatible: typ JWT, azp, gty, sub "<client>@clients" for machines.' },
    ACCESS_TOKEN_AUTHZ: { description: 'ACCESS_TOKEN plus a `permissions` array.' },
    RFC9068_PROFILE: { description: 'RFC 9068 JWT access token profile: typ at+jwt, client_id (default).' },
    RFC9068_PROFILE_AUTHZ: { description: 'RFC9068_PROFILE plus a `permissions` array.' },
  },
});

export const ProofOfPossessionEnum = enumOf(PROOF_OF_POSSESSION);
registerEnumType(ProofOfPossessionEnum, {
  name: 'ProofOfPossession',
  description: "Whether an API's access tokens are bound to the client's key (DPoP, RFC 9449).",
  valuesConfig: {
    NONE: { description: 'Bearer tokens; a DPoP proof sent anyway is checked, then ignored (default).' },
    DPOP_ALLOWED: { description: 'Bound to the key of the DPoP proof when the token request carries one (token_type DPoP), else Bearer.' },
    DPOP_REQUIRED: { description: 'Every token request needs a DPoP proof; every token is bound.' },
  },
});

export const AppTypeEnum = enumOf(APP_TYPES);
registerEnumType(AppTypeEnum, {
  name: 'ApplicationType',
  description: 'Kind of application; decides whether it is public and which grants it may use.',
  valuesConfig: {
    NATIVE: { description: 'Mobile or desktop app: public, no secret.' },
    SPA: { description: 'Single-page browser app: public, no secret.' },
    REGULAR_WEB: { description: 'Server-rendered web app: confidential.' },
    MACHINE_TO_MACHINE: { description: 'Service or daemon using client credentials: confidential.' },
  },
});

export const GrantTypeEnum = enumOf(GRANT_TYPES);
registerEnumType(GrantTypeEnum, {
  name: 'GrantType',
  description: 'OAuth 2.0 grant types a client may use.',
  valuesConfig: {
    TOKEN_EXCHANGE: {
      description: 'RFC 8693 token exchange (confidential clients): a token of this service for another API, on behalf of its subject.',
    },
  },
});

export const TokenEndpointAuthMethodEnum = enumOf(TOKEN_ENDPOINT_AUTH_METHODS);
registerEnumType(TokenEndpointAuthMethodEnum, {
  name: 'TokenEndpointAuthMethod',
  description: 'How a client authenticates at the token endpoint.',
  valuesConfig: {
    NONE: { description: 'Public client: no secret.' },
    CLIENT_SECRET_BASIC: { description: 'HTTP Basic with client id and secret (RFC 6749 §2.3.1).' },
    CLIENT_SECRET_POST: { description: '`client_id` and `client_secret` in the request body.' },
    PRIVATE_KEY_JWT: {
      description: "A JWT signed with one of the client's keys (`Client.jwks`), RFC 7523 §2.2; the client has no secret.",
    },
  },
});

export const RefreshTokenRotationEnum = enumOf(REFRESH_TOKEN_ROTATIONS);
registerEnumType(RefreshTokenRotationEnum, {
  name: 'RefreshTokenRotation',
  description: 'Whether a refresh token is replaced at each use.',
  valuesConfig: {
    ROTATING: {
      description:
        'Each use returns a new refresh token; presenting a replaced one again (after the leeway) revokes every refresh token of that authorization (default; always for SPA and NATIVE).',
    },
    NON_ROTATING: { description: 'The same refresh token is used until it expires (confidential clients only).' },
  },
});
