import { Field, ID, ObjectType } from 'type-graphql';
import { UserError } from '../user-error';
import { ResourceServer } from './resource-server.type';

@ObjectType()
export class ResourceServerCreatePayload {
  @Field(() => ResourceServer, { nullable: true })
  resourceServer?: ResourceServer | null;

  @Field(() => String, {
    nullable: true,
    description: 'HS256 APIs only: the signing secret, shown this once and never again.',
  })
  signingSecret?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ResourceServerUpdatePayload {
  @Field(() => ResourceServer, { nullable: true })
  resourceServer?: ResourceServer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ResourceServerDeletePayload {
  @Field(() => ID, { nullable: true })
  deletedId?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ResourceServerScopesAddPayload {
  @Field(() => ResourceServer, { nullable: true })
  resourceServer?: ResourceServer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ResourceServerScopesRemovePayload {
  @Field(() => ResourceServer, { nullable: true })
  resourceServer?: ResourceServer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ResourceServerSigningSecretRotatePayload {
  @Field(() => ResourceServer, { nullable: true })
  resourceServer?: ResourceServer | null;

  @Field(() => String, { nullable: true, description: 'The new signing secret, shown this once and never again.' })
  signingSecret?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
