import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node } from '../relay/node';
import { toGlobalId } from '../relay/global-id';
import { AppTypeEnum, GrantTypeEnum, TokenEndpointAuthMethodEnum } from '../enums';
import type { ClientEntity } from '../../domain/client/client.entity';
import type { AppType, GrantType, TokenEndpointAuthMethod } from '../../domain/client/client.rules';

@ObjectType({ description: 'A client secret as metadata: the secret itself is shown only when created or rotated.' })
export class ClientSecret {
  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver, { nullable: true, description: 'Null: valid until rotated. Set: a rotated-out secret in its grace period.' })
  expiresAt!: Date | null;

  @Field({ description: 'Last four characters, to tell secrets apart.' })
  lastFour!: string;
}

@ObjectType({ implements: Node, description: 'An application that requests tokens.' })
export class Client extends Node {
  uuid!: string;

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

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;

  static from(entity: ClientEntity): Client {
    return Object.assign(new Client(), {
      id: toGlobalId('Client', entity.id),
      uuid: entity.id,
      clientId: entity.clientId,
      name: entity.name,
      description: entity.description,
      appType: entity.appType,
      isFirstParty: entity.isFirstParty,
      grantTypes: entity.grantTypes,
      tokenEndpointAuthMethod: entity.tokenEndpointAuthMethod,
      callbacks: entity.callbacks,
      allowedOrigins: entity.allowedOrigins,
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    });
  }
}
