import { Field, ID, ObjectType } from 'type-graphql';
import { UserError } from '../user-error';
import { ClientGrant } from './client-grant.type';

@ObjectType()
export class ClientGrantCreatePayload {
  @Field(() => ClientGrant, { nullable: true })
  clientGrant?: ClientGrant | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ClientGrantUpdatePayload {
  @Field(() => ClientGrant, { nullable: true })
  clientGrant?: ClientGrant | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ClientGrantDeletePayload {
  @Field(() => ID, { nullable: true })
  deletedId?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
