import { Field, ID, InputType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';

@InputType()
export class AccessTokenIssueInput {
  @Field(() => ID, { description: 'Global ID of the client the token is for.' })
  clientId!: string;

  @Field(() => ID, { description: 'Global ID of the API.' })
  resourceServerId!: string;

  @Field(() => [String], { nullable: true, description: 'Default: every scope the client grant allows.' })
  scopes?: string[] | null;
}

@InputType({
  description:
    "The token to revoke: either `token` itself, or its `jti` with `resourceServerId` and `expiresAt` (for a token you no longer hold, e.g. from the audit log or a resource server's logs).",
})
export class AccessTokenRevokeInput {
  @Field(() => String, { nullable: true, description: 'The access token (a JWT this service issued and that is still active).' })
  token?: string | null;

  @Field(() => String, { nullable: true })
  jti?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global ID of the API the token is for.' })
  resourceServerId?: string | null;

  @Field(() => DateTimeISOResolver, {
    nullable: true,
    description: 'When the token expires (its `exp`); the denylist entry is purged after it.',
  })
  expiresAt?: Date | null;
}
