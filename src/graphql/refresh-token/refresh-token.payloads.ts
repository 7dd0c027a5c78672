import { Field, ObjectType } from 'type-graphql';
import { UserError } from '../user-error';
import { RefreshToken } from './refresh-token.type';

@ObjectType()
export class RefreshTokenRevokePayload {
  @Field(() => RefreshToken, { nullable: true, description: 'The token, now revoked (with its whole family).' })
  refreshToken?: RefreshToken | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
