import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node, nodeObject } from '../relay/node';
import { Connection } from '../relay/connection';
import type { RefreshTokenEntity } from '../../domain/refresh-token/refresh-token.entity';

@ObjectType({
  implements: Node,
  description:
    "A refresh token a user's authorization gave a client, as metadata: its value is never shown. With rotation, each use adds a token to the family and retires the one used (`rotated`); revoking any token revokes its family.",
})
export class RefreshToken extends Node {
  userUuid!: string;
  clientUuid!: string;
  resourceServerUuid!: string;

  @Field(() => [String], { description: 'The scopes access tokens from it may carry (a request may narrow them).' })
  scopes!: string[];

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver, { description: "Absolute expiry: the family's start plus the client's absoluteLifetime." })
  expiresAt!: Date;

  @Field(() => DateTimeISOResolver, {
    description: "Expiry if unused: its issue (or, without rotation, last use) plus the client's idleLifetime.",
  })
  idleExpiresAt!: Date;

  @Field(() => DateTimeISOResolver, { nullable: true })
  lastUsedAt!: Date | null;

  @Field({ description: 'Replaced by a newer token of its family (rotation): using it again, after the leeway, revokes the family.' })
  rotated!: boolean;

  @Field(() => DateTimeISOResolver, { nullable: true })
  revokedAt!: Date | null;

  static from(entity: RefreshTokenEntity): RefreshToken {
    const fields = ['clientUuid', 'scopes', 'createdAt', 'expiresAt', 'idleExpiresAt', 'lastUsedAt', 'revokedAt'] as const;
    return nodeObject(new RefreshToken(), 'RefreshToken', entity, fields, {
      userUuid: entity.userId,
      resourceServerUuid: entity.resourceServerId,
      rotated: entity.rotatedAt !== null,
    });
  }
}

export const RefreshTokenConnection = Connection(RefreshToken, 'RefreshToken');
