import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node, nodeObject } from '../relay/node';
import { Connection } from '../relay/connection';
import type { UserGrantEntity } from '../../domain/user-grant/user-grant.entity';

@ObjectType({
  implements: Node,
  description:
    "A user's consent: the scopes of one API the user allowed one client to use on their behalf. Deleting it makes the next authorization ask again.",
})
export class UserGrant extends Node {
  userUuid!: string;
  clientUuid!: string;
  resourceServerUuid!: string;

  @Field(() => [String], { description: 'Every scope consented to so far (consents add up).' })
  scopes!: string[];

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver, { description: 'Last time scopes were added.' })
  updatedAt!: Date;

  static from(entity: UserGrantEntity): UserGrant {
    return nodeObject(new UserGrant(), 'UserGrant', entity, ['clientUuid', 'scopes', 'createdAt', 'updatedAt'], {
      userUuid: entity.userId,
      resourceServerUuid: entity.resourceServerId,
    });
  }
}

export const UserGrantConnection = Connection(UserGrant, 'UserGrant');
