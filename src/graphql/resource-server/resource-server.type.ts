import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node, nodeObject } from '../relay/node';
import { ProofOfPossessionEnum, SigningAlgorithmEnum, TokenDialectEnum } from '../enums';
import type { ResourceServerEntity } from '../../domain/resource-server/resource-server.entity';
import type { ScopeEntity } from '../../domain/resource-server/scope.entity';
import type { ProofOfPossession, SigningAlgorithm, TokenDialect } from '../../domain/resource-server/resource-server.rules';

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

  @Field(() => ProofOfPossessionEnum, { description: 'DPoP (RFC 9449): whether its tokens are bound to the key of a proof.' })
  proofOfPossession!: ProofOfPossession;

  @Field({ description: 'Built-in API (such as the Management API): cannot be deleted; only lifetimes and proofOfPossession can change.' })
  isSystem!: boolean;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;

  static from(entity: ResourceServerEntity): ResourceServer {
    return nodeObject(new ResourceServer(), 'ResourceServer', entity, [
      'name',
      'identifier',
      'signingAlgorithm',
      'tokenLifetime',
      'tokenLifetimeForWeb',
      'allowSkippingUserConsent',
      'allowOfflineAccess',
      'enforcePolicies',
      'tokenDialect',
      'proofOfPossession',
      'isSystem',
      'createdAt',
      'updatedAt',
    ]);
  }
}
