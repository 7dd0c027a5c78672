import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { UserError } from '../user-error';

@ObjectType()
export class AccessTokenIssuePayload {
  @Field(() => String, { nullable: true })
  accessToken?: string | null;

  @Field(() => String, { nullable: true })
  tokenType?: string | null;

  @Field(() => Int, { nullable: true, description: 'Seconds until the token expires.' })
  expiresIn?: number | null;

  @Field(() => String, { nullable: true })
  scope?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType({ description: 'A denylisted token: refused by introspection and the Management API until it expires.' })
export class RevokedToken {
  @Field()
  jti!: string;

  resourceServerUuid!: string | null;

  @Field(() => DateTimeISOResolver, { description: 'When the token expires; the denylist entry is purged after it.' })
  expiresAt!: Date;

  @Field(() => DateTimeISOResolver)
  revokedAt!: Date;
}

@ObjectType()
export class AccessTokenRevokePayload {
  @Field(() => RevokedToken, { nullable: true })
  revokedToken?: RevokedToken | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
