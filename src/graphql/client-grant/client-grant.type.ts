import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node, nodeObject } from '../relay/node';
import { Connection } from '../relay/connection';
import type { ClientGrantEntity } from '../../domain/client-grant/client-grant.entity';

@ObjectType({ implements: Node, description: 'Authorizes one client to get tokens for one API with some of its scopes.' })
export class ClientGrant extends Node {
  clientUuid!: string;
  resourceServerUuid!: string;

  @Field(() => [String])
  scopes!: string[];

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;

  static from(entity: ClientGrantEntity): ClientGrant {
    return nodeObject(new ClientGrant(), 'ClientGrant', entity, ['clientUuid', 'scopes', 'createdAt', 'updatedAt'], {
      resourceServerUuid: entity.resourceServerId,
    });
  }
}

export const ClientGrantConnection = Connection(ClientGrant, 'ClientGrant');
