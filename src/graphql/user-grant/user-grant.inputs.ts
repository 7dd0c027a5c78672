import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class UserGrantFilter {
  @Field(() => ID, { nullable: true, description: 'Global ID of a user.' })
  user?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global ID of a client.' })
  client?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global ID of an API.' })
  resourceServer?: string | null;
}
