import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node } from '../relay/node';
import { toGlobalId } from '../relay/global-id';
import { SigningAlgorithmEnum, TokenDialectEnum } from '../enums';
import type { ResourceServerEntity } from '../../domain/resource-server/resource-server.entity';
import type { ScopeEntity } from '../../domain/resource-server/scope.entity';
import type { SigningAlgorithm, TokenDialect } from '../../domain/resource-server/resource-server.rules';

@ObjectType({ description: 'A permission an API defines.' })
export class Scope {
  @Field({ description: 'The scope token, e.g. `read:appointments`.' })
  value!: string;

  @Field()
  description!: string;

  static from(entity: ScopeEntity): Scope {
    return Object.assign(new Scope(), { value: entity.value, description: entity.description });
  }
}

@ObjectType({ implements: Node, description: 'An API (resource server): the audience of access tokens.' })
export class ResourceServer extends Node {
  /** Database id, for field resolvers. */
  uuid!: string;

  @Field()
  name!: string;

  @Field({ description: 'The token audience (`aud`), an absolute URI. Immutable.' })
  identifier!: string;

  @Field(() => SigningAlgorithmEnum, { description: 'Immutable.' })
  signingAlgorithm!: SigningAlgorithm;

  @Field(() => Int, { description: 'Access token lifetime in seconds.' })
  tokenLifetime!: number;

  @Field(() => Int, { description: 'Lifetime of tokens issued to browsers (implicit flow), in seconds.' })
  tokenLifetimeForWeb!: number;

  @Field()
  allowSkippingUserConsent!: boolean;

  @Field()
  allowOfflineAccess!: boolean;

  @Field({ description: 'Role-based access control for user tokens.' })
  enforcePolicies!: boolean;

  @Field(() => TokenDialectEnum)
  tokenDialect!: TokenDialect;

  @Field({ description: 'Built-in API (such as the Management API): cannot be deleted; only lifetimes can change.' })
  isSystem!: boolean;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;

  static from(entity: ResourceServerEntity): ResourceServer {
    return Object.assign(new ResourceServer(), {
      id: toGlobalId('ResourceServer', entity.id),
      uuid: entity.id,
      name: entity.name,
      identifier: entity.identifier,
      signingAlgorithm: entity.signingAlgorithm,
      tokenLifetime: entity.tokenLifetime,
      tokenLifetimeForWeb: entity.tokenLifetimeForWeb,
      allowSkippingUserConsent: entity.allowSkippingUserConsent,
      allowOfflineAccess: entity.allowOfflineAccess,
      enforcePolicies: entity.enforcePolicies,
      tokenDialect: entity.tokenDialect,
      isSystem: entity.isSystem,
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    });
  }
}
