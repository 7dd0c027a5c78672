import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node } from '../relay/node';
import { toGlobalId } from '../relay/global-id';
import { Connection } from '../relay/connection';
import type { UserGrantEntity } from '../../domain/user-grant/user-grant.entity';

@ObjectType({
  implements: Node,
  description: 'A user\'s consent: the scopes of one API the user allowed one client to use on their behalf. Deleting it makes the next authorization ask again.',
})
export class UserGrant extends Node {
  uuid!: string;
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
    return Object.assign(new UserGrant(), {
      id: toGlobalId('UserGrant', entity.id),
      uuid: entity.id,
      userUuid: entity.userId,
      clientUuid: entity.clientUuid,
      resourceServerUuid: entity.resourceServerId,
      scopes: entity.scopes,
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    });
  }
}

export const UserGrantConnection = Connection(UserGrant, 'UserGrant');
