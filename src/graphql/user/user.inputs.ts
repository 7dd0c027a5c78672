import { Field, InputType } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';

const APP_METADATA = 'A JSON object (not an array), at most 16 KB as JSON. Sent to token hooks; the user cannot change it.';

@InputType()
export class UserCreateInput {
  @Field({ description: 'An email address, at most 320 characters; unique whatever its case.' })
  email!: string;

  @Field(() => String, {
    nullable: true,
    description:
      '8–256 characters, not the email. Stored as an Argon2id hash, never returned. Without one, the user cannot sign in until `userPasswordSet`.',
  })
  password?: string | null;

  @Field(() => String, { nullable: true, description: 'Display name, at most 200 characters, no `<` or `>`.' })
  name?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Default false.' })
  emailVerified?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Default false.' })
  blocked?: boolean | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: `${APP_METADATA} Default {}.` })
  appMetadata?: Record<string, unknown> | null;
}

@InputType({ description: 'Fields to change; omitted fields keep their value.' })
export class UserUpdateInput {
  @Field(() => String, { nullable: true, description: 'A new email is unverified unless `emailVerified` is given too.' })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'Empty clears it.' })
  name?: string | null;

  @Field(() => Boolean, { nullable: true })
  emailVerified?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "Blocking also ends the user's login sessions." })
  blocked?: boolean | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: `${APP_METADATA} Replaces the stored object; {} clears it.` })
  appMetadata?: Record<string, unknown> | null;
}

@InputType()
export class UserPasswordSetInput {
  @Field({ description: '8–256 characters, not the email.' })
  password!: string;
}

@InputType()
export class UserFilter {
  @Field(() => String, { nullable: true, description: 'Exact email, whatever its case.' })
  email?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The `sub` claim of a token: finds the user it names (`User.sub`, exact); nothing when it names no user.',
  })
  sub?: string | null;
}
