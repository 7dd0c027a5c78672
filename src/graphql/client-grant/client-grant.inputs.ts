import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class ClientGrantCreateInput {
  @Field(() => ID, { description: 'Global ID of the client (`Client.id`, not its OAuth clientId).' })
  clientId!: string;

  @Field(() => ID, { description: 'Global ID of the API.' })
  resourceServerId!: string;

  @Field(() => [String], { description: 'Scopes defined on the API that the client may request.' })
  scopes!: string[];
}

@InputType()
export class ClientGrantUpdateInput {
  @Field(() => [String], { nullable: true, description: 'Replaces the granted scopes.' })
  scopes?: string[] | null;
}

@InputType()
export class ClientGrantFilter {
  @Field(() => ID, { nullable: true, description: 'Global ID of a client.' })
  client?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global ID of an API.' })
  resourceServer?: string | null;
}

@InputType()
export class ClientGrantDeleteInput {
  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      'Also revoke every token already issued under this grant: tokens of this client for this API issued before now are refused (introspection, Management API). Nothing is stored per token.',
  })
  revokeIssuedTokens?: boolean | null;
}
