import { Field, ID, ObjectType } from 'type-graphql';
import { UserError } from '../user-error';
import { User } from '../user/user.type';
import { Role } from './role.type';

@ObjectType()
export class RoleCreatePayload {
  @Field(() => Role, { nullable: true })
  role?: Role | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RoleUpdatePayload {
  @Field(() => Role, { nullable: true })
  role?: Role | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RoleDeletePayload {
  @Field(() => ID, { nullable: true })
  deletedId?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RolePermissionsAddPayload {
  @Field(() => Role, { nullable: true })
  role?: Role | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RolePermissionsRemovePayload {
  @Field(() => Role, { nullable: true })
  role?: Role | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class UserRolesAssignPayload {
  @Field(() => User, { nullable: true })
  user?: User | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class UserRolesRemovePayload {
  @Field(() => User, { nullable: true })
  user?: User | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
