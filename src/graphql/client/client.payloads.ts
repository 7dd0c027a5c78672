import { Field, ID, ObjectType } from 'type-graphql';
import { UserError } from '../user-error';
import { Client } from './client.type';

@ObjectType()
export class ClientCreatePayload {
  @Field(() => Client, { nullable: true })
  client?: Client | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Clients that authenticate with a secret only (not public or PRIVATE_KEY_JWT ones): the secret, shown this once and never again.',
  })
  clientSecret?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ClientUpdatePayload {
  @Field(() => Client, { nullable: true })
  client?: Client | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ClientDeletePayload {
  @Field(() => ID, { nullable: true })
  deletedId?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ClientSecretRotatePayload {
  @Field(() => Client, { nullable: true })
  client?: Client | null;

  @Field(() => String, { nullable: true, description: 'The new secret, shown this once and never again.' })
  clientSecret?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
