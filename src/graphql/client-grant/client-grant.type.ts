import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node } from '../relay/node';
import { toGlobalId } from '../relay/global-id';
import { Connection } from '../relay/connection';
import type { ClientGrantEntity } from '../../domain/client-grant/client-grant.entity';

@ObjectType({ implements: Node, description: 'Authorizes one client to get tokens for one API with some of its scopes.' })
export class ClientGrant extends Node {
  uuid!: string;
  clientUuid!: string;
  resourceServerUuid!: string;

  @Field(() => [String])
  scopes!: string[];

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;

  static from(entity: ClientGrantEntity): ClientGrant {
    return Object.assign(new ClientGrant(), {
      id: toGlobalId('ClientGrant', entity.id),
      uuid: entity.id,
      clientUuid: entity.clientUuid,
      resourceServerUuid: entity.resourceServerId,
      scopes: entity.scopes,
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    });
  }
}

export const ClientGrantConnection = Connection(ClientGrant, 'ClientGrant');
