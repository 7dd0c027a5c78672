import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class RoleCreateInput {
  @Field({ description: '1–200 characters, no `<` or `>`; unique whatever its case.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 500 characters.' })
  description?: string | null;
}

@InputType({ description: 'Fields to change; omitted fields keep their value.' })
export class RoleUpdateInput {
  @Field(() => String, { nullable: true, description: '1–200 characters, no `<` or `>`; unique whatever its case.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 500 characters; empty clears it.' })
  description?: string | null;
}

@InputType({ description: 'A scope of an API.' })
export class PermissionInput {
  @Field(() => ID, { description: 'Global ID of the API (not the Management API).' })
  resourceServerId!: string;

  @Field({ description: 'A scope defined on that API.' })
  scope!: string;
}

@InputType()
export class RoleFilter {
  @Field(() => String, { nullable: true, description: 'Exact name, whatever its case.' })
  name?: string | null;
}
