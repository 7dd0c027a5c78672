import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class RefreshTokenFilter {
  @Field(() => ID, { nullable: true, description: 'Global ID of a user.' })
  user?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global ID of a client.' })
  client?: string | null;
}
