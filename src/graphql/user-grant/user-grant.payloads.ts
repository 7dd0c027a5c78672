import { Field, ID, ObjectType } from 'type-graphql';
import { UserError } from '../user-error';

@ObjectType()
export class UserGrantDeletePayload {
  @Field(() => ID, { nullable: true })
  deletedId?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
