import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeISOResolver, JSONObjectResolver } from 'graphql-scalars';
import { Node, nodeObject } from '../relay/node';
import { AppTypeEnum, GrantTypeEnum, IdTokenSigningAlgorithmEnum, RefreshTokenRotationEnum, TokenEndpointAuthMethodEnum } from '../enums';
import type { ClientEntity } from '../../domain/client/client.entity';
import { refreshTokenSettingsOf } from '../../domain/client/client.rules';
import { metadataEntries } from '../../domain/client/client-metadata';
import type { ClientJwks } from '../../domain/client/client-jwks';
import type { AppType, GrantType, RefreshTokenRotation, TokenEndpointAuthMethod } from '../../domain/client/client.rules';
import type { AsymmetricAlgorithm } from '../../crypto/key-pairs';

@ObjectType({ description: 'A client secret as metadata: the secret itself is shown only when created or rotated.' })
export class ClientSecret {
  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver, {
    nullable: true,
    description: 'Null: valid until rotated. Set: a rotated-out secret in its grace period.',
  })
  expiresAt!: Date | null;

  @Field({ description: 'Last four characters, to tell secrets apart.' })
  lastFour!: string;
}

@ObjectType({
  description: 'How the refresh tokens of a client behave (issued when an API allows offline access and the user grants `offline_access`).',
})
export class ClientRefreshTokenSettings {
  @Field(() => RefreshTokenRotationEnum, { description: 'Always ROTATING for SPA and NATIVE clients.' })
  rotation!: RefreshTokenRotation;

  @Field(() => Int, {
    description: 'Seconds a replaced (rotated-out) refresh token still works, for retries and concurrent requests: 0 (default) to 3600.',
  })
  leeway!: number;

  @Field(() => Int, {
    description:
      "Seconds a refresh token (and every token rotated from it) lives after the user's authorization, however it is used: 60 to 31536000 (default 2592000, 30 days).",
  })
  absoluteLifetime!: number;

  @Field(() => Int, { description: 'Seconds a refresh token lives unused: 60 to absoluteLifetime (default 1296000, 15 days).' })
  idleLifetime!: number;
}

@ObjectType({ description: "One key of a client's metadata." })
export class ClientMetadataEntry {
  @Field()
  key!: string;

  @Field()
  value!: string;
}

@ObjectType({ implements: Node, description: 'An application that requests tokens.' })
export class Client extends Node {
  @Field({ description: 'The OAuth `client_id`: generated and immutable.' })
  clientId!: string;

  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field(() => AppTypeEnum, { description: 'Immutable.' })
  appType!: AppType;

  @Field({ description: 'Third-party clients (false) always ask for user consent. Immutable.' })
  isFirstParty!: boolean;

  @Field(() => [GrantTypeEnum])
  grantTypes!: GrantType[];

  @Field(() => TokenEndpointAuthMethodEnum)
  tokenEndpointAuthMethod!: TokenEndpointAuthMethod;

  @Field(() => [String], { description: 'Allowed redirect URIs, matched exactly.' })
  callbacks!: string[];

  @Field(() => [String], { description: 'Allowed browser origins.' })
  allowedOrigins!: string[];

  @Field(() => [String], {
    description:
      "URLs the browser may be sent to after logout (OpenID Connect `post_logout_redirect_uri`, Auth0's `returnTo`), matched exactly.",
  })
  allowedLogoutUrls!: string[];

  @Field(() => IdTokenSigningAlgorithmEnum, { description: "JWS algorithm of the client's ID tokens (default RS256)." })
  idTokenSigningAlgorithm!: AsymmetricAlgorithm;

  @Field(() => Int, { description: 'Seconds an ID token is valid: 60 to 2592000 (default 36000, 10 hours).' })
  idTokenLifetime!: number;

  @Field(() => ClientRefreshTokenSettings)
  refreshToken!: ClientRefreshTokenSettings;

  @Field(() => [ClientMetadataEntry], {
    description:
      "String keys and values (like Auth0's `client_metadata`), sorted by key. Sent to token hooks as `client.metadata`; never put in tokens by themselves.",
  })
  metadata!: ClientMetadataEntry[];

  @Field(() => JSONObjectResolver, {
    nullable: true,
    description: "The client's public keys (a JWK Set) that verify its PRIVATE_KEY_JWT assertions; null: none.",
  })
  jwks!: ClientJwks | null;

  @Field({
    description:
      'True: `/authorize` accepts only requests this client pushed first to `/oauth/par` (RFC 9126 pushed authorization requests), by their `request_uri`.',
  })
  requirePushedAuthorizationRequests!: boolean;

  @Field({
    description:
      'Built-in application (the console): cannot be deleted; its grant types, authentication, URLs and origins are set by the service.',
  })
  isSystem!: boolean;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;

  static from(entity: ClientEntity): Client {
    const fields = [
      'clientId',
      'name',
      'description',
      'appType',
      'isFirstParty',
      'grantTypes',
      'tokenEndpointAuthMethod',
      'callbacks',
      'allowedOrigins',
      'allowedLogoutUrls',
      'idTokenSigningAlgorithm',
      'idTokenLifetime',
      'jwks',
      'requirePushedAuthorizationRequests',
      'createdAt',
      'updatedAt',
    ] as const;
    return nodeObject(new Client(), 'Client', entity, fields, {
      isSystem: entity.builtin !== null,
      refreshToken: Object.assign(new ClientRefreshTokenSettings(), refreshTokenSettingsOf(entity)),
      metadata: metadataEntries(entity.metadata ?? {}).map((entry) => Object.assign(new ClientMetadataEntry(), entry)),
    });
  }
}
