import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver, JSONObjectResolver } from 'graphql-scalars';
import { Node } from '../relay/node';
import { toGlobalId } from '../relay/global-id';
import { Connection } from '../relay/connection';
import type { UserEntity } from '../../domain/user/user.entity';

/** Built field by field from the entity: the password hash is never copied here. */
@ObjectType({ implements: Node, description: 'A person who signs in at /authorize. Their password is never returned.' })
export class User extends Node {
  uuid!: string;

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
      'A JSON object set through this API, never by the user (like Auth0\'s `app_metadata`). Sent to token hooks as `user.appMetadata`; never put in tokens by itself.',
  })
  appMetadata!: Record<string, unknown>;

  static from(entity: UserEntity): User {
    return Object.assign(new User(), {
      id: toGlobalId('User', entity.id),
      uuid: entity.id,
      email: entity.email,
      emailVerified: entity.emailVerified,
      name: entity.name,
      blocked: entity.blocked,
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
      lastLoginAt: entity.lastLoginAt,
      appMetadata: entity.appMetadata ?? {},
    });
  }
}

export const UserConnection = Connection(User, 'User');
