import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver, JSONObjectResolver } from 'graphql-scalars';
import { Node, nodeObject } from '../relay/node';
import { Connection } from '../relay/connection';
import type { UserEntity } from '../../domain/user/user.entity';
import { subjectOf } from '../../domain/user/subject';

/** Built field by field from the entity: the password hash is never copied here. */
@ObjectType({ implements: Node, description: 'A person who signs in at /authorize. Their password is never returned.' })
export class User extends Node {
  @Field({
    description:
      'The `sub` claim of the tokens issued for this user (access and ID tokens): stable, never reassigned, not the global `id`. `users(filter: { sub })` finds the user back.',
  })
  sub!: string;

  @Field({ description: 'Unique whatever its case.' })
  email!: string;

  @Field()
  emailVerified!: boolean;

  @Field({ description: 'Display name; empty when not set.' })
  name!: string;

  @Field({ description: 'A blocked user cannot sign in.' })
  blocked!: boolean;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;

  @Field(() => DateTimeISOResolver, { nullable: true, description: 'Last successful sign-in; null: never.' })
  lastLoginAt!: Date | null;

  @Field(() => JSONObjectResolver, {
    description:
      "A JSON object set through this API, never by the user (like Auth0's `app_metadata`). Sent to token hooks as `user.appMetadata`; never put in tokens by itself.",
  })
  appMetadata!: Record<string, unknown>;

  static from(entity: UserEntity): User {
    return nodeObject(new User(), 'User', entity, ['email', 'emailVerified', 'name', 'blocked', 'createdAt', 'updatedAt', 'lastLoginAt'], {
      sub: subjectOf(entity),
      appMetadata: entity.appMetadata ?? {},
    });
  }
}

export const UserConnection = Connection(User, 'User');
