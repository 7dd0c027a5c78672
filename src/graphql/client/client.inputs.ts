import { Field, InputType, Int } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import { GRACE_PERIOD_MAX } from '../../domain/validation';
import { AppTypeEnum, GrantTypeEnum, IdTokenSigningAlgorithmEnum, RefreshTokenRotationEnum, TokenEndpointAuthMethodEnum } from '../enums';
import { ID_TOKEN_LIFETIME_MAX, ID_TOKEN_LIFETIME_MIN } from '../../domain/client/client.rules';
import type { AppType, GrantType, RefreshTokenRotation, TokenEndpointAuthMethod } from '../../domain/client/client.rules';
import type { AsymmetricAlgorithm } from '../../crypto/key-pairs';

@InputType({ description: 'Refresh-token settings; omitted fields keep their value (update) or default (create).' })
export class ClientRefreshTokenInput {
  @Field(() => RefreshTokenRotationEnum, {
    nullable: true,
    description: 'Default ROTATING. NON_ROTATING is refused for SPA and NATIVE clients.',
  })
  rotation?: RefreshTokenRotation | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, 0 (default) to 3600.' })
  leeway?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, 60 to 31536000 (default 2592000).' })
  absoluteLifetime?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, 60 to absoluteLifetime (default 1296000, or absoluteLifetime if shorter).' })
  idleLifetime?: number | null;
}

@InputType({ description: "One key of a client's metadata." })
export class ClientMetadataEntryInput {
  @Field({ description: '1–255 characters, unique in the list.' })
  key!: string;

  @Field({ description: 'At most 255 characters.' })
  value!: string;
}

const JWKS =
  'Public keys that verify the client\'s assertions (PRIVATE_KEY_JWT), as a JWK Set `{ "keys": [ … ] }`: at most 5 keys, 16 KB; each RSA (2048 to 8192 bits), EC P-256 or OKP Ed25519, with no private member (`d`, `p`, `q`, …) and no `oct` key; `alg`, if given, RS256, PS256, ES256 or EdDSA; a unique `kid` on each key when there are several. Confidential clients only; PRIVATE_KEY_JWT needs at least one.';

const METADATA =
  'Replaces the whole metadata: at most 10 entries (string keys and values, no control characters). Sent to the token hooks of the APIs the client gets tokens for.';

const REQUIRE_PAR =
  'True: `/authorize` refuses requests of this client that were not pushed first to `/oauth/par` (RFC 9126), so that every authorization request is authenticated and tamper-proof.';

@InputType()
export class ClientCreateInput {
  @Field({ description: '1–200 characters, no `<` or `>`.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 140 characters.' })
  description?: string | null;

  @Field(() => AppTypeEnum, { description: 'Immutable.' })
  appType!: AppType;

  @Field(() => Boolean, { nullable: true, description: 'Default true. Immutable.' })
  isFirstParty?: boolean | null;

  @Field(() => [GrantTypeEnum], {
    nullable: true,
    description:
      'Default: CLIENT_CREDENTIALS for machine-to-machine, AUTHORIZATION_CODE and REFRESH_TOKEN otherwise. Public clients (NATIVE, SPA) can never use CLIENT_CREDENTIALS.',
  })
  grantTypes?: GrantType[] | null;

  @Field(() => TokenEndpointAuthMethodEnum, {
    nullable: true,
    description:
      'NONE for public clients; CLIENT_SECRET_BASIC (default), CLIENT_SECRET_POST or PRIVATE_KEY_JWT (with `jwks`; no secret is issued) otherwise.',
  })
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | null;

  @Field(() => [String], { nullable: true, description: 'Redirect URIs: absolute, https unless loopback, no fragment; at most 100.' })
  callbacks?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Origins (scheme://host[:port]), https unless loopback; at most 100.' })
  allowedOrigins?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Post-logout redirect URLs, with the rules of `callbacks`. Default: none.' })
  allowedLogoutUrls?: string[] | null;

  @Field(() => IdTokenSigningAlgorithmEnum, { nullable: true, description: 'Default RS256.' })
  idTokenSigningAlgorithm?: AsymmetricAlgorithm | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, 60 to 2592000 (default 36000).' })
  idTokenLifetime?: number | null;

  @Field(() => ClientRefreshTokenInput, { nullable: true })
  refreshToken?: ClientRefreshTokenInput | null;

  @Field(() => [ClientMetadataEntryInput], { nullable: true, description: `${METADATA} Default: none.` })
  metadata?: ClientMetadataEntryInput[] | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: `${JWKS} Default: none.` })
  jwks?: Record<string, unknown> | null;

  @Field(() => Boolean, { nullable: true, description: `${REQUIRE_PAR} Default false.` })
  requirePushedAuthorizationRequests?: boolean | null;
}

@InputType({ description: 'Fields to change; omitted fields keep their value.' })
export class ClientUpdateInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => AppTypeEnum, { nullable: true, description: 'Immutable: accepted only when equal to the current value.' })
  appType?: AppType | null;

  @Field(() => Boolean, { nullable: true, description: 'Immutable: accepted only when equal to the current value.' })
  isFirstParty?: boolean | null;

  @Field(() => [GrantTypeEnum], { nullable: true })
  grantTypes?: GrantType[] | null;

  @Field(() => TokenEndpointAuthMethodEnum, {
    nullable: true,
    description:
      "Switching to PRIVATE_KEY_JWT removes the client's secrets; switching from it leaves the client without one until `clientSecretRotate`.",
  })
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | null;

  @Field(() => [String], { nullable: true })
  callbacks?: string[] | null;

  @Field(() => [String], { nullable: true })
  allowedOrigins?: string[] | null;

  @Field(() => [String], { nullable: true })
  allowedLogoutUrls?: string[] | null;

  @Field(() => IdTokenSigningAlgorithmEnum, { nullable: true })
  idTokenSigningAlgorithm?: AsymmetricAlgorithm | null;

  @Field(() => Int, { nullable: true, description: `Seconds, ${ID_TOKEN_LIFETIME_MIN} to ${ID_TOKEN_LIFETIME_MAX}.` })
  idTokenLifetime?: number | null;

  @Field(() => ClientRefreshTokenInput, { nullable: true, description: 'Merged with the current settings.' })
  refreshToken?: ClientRefreshTokenInput | null;

  @Field(() => [ClientMetadataEntryInput], { nullable: true, description: `${METADATA} \`[]\` clears it.` })
  metadata?: ClientMetadataEntryInput[] | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: `${JWKS} Replaces the stored keys; \`{ "keys": [] }\` removes them.` })
  jwks?: Record<string, unknown> | null;

  @Field(() => Boolean, { nullable: true, description: REQUIRE_PAR })
  requirePushedAuthorizationRequests?: boolean | null;
}

@InputType()
export class ClientFilter {
  @Field(() => AppTypeEnum, { nullable: true })
  appType?: AppType | null;
}

@InputType()
export class ClientSecretRotateInput {
  @Field(() => Int, {
    nullable: true,
    defaultValue: 0,
    description: `Seconds the current secret keeps working after the rotation: 0 (default, stops at once) to ${GRACE_PERIOD_MAX} (30 days).`,
  })
  previousSecretExpiresIn?: number | null;
}
