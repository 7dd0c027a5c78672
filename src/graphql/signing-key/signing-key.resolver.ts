import { Arg, Args, Authorized, Ctx, Field, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { Connection, ConnectionArgs } from '../relay/connection';
import { nodeConnection } from '../relay/nodes';
import { mutate, UserError } from '../user-error';
import { SigningAlgorithmEnum } from '../enums';
import type { KeyState } from '../../crypto/signing-key.entity';
import type { SigningAlgorithm } from '../../domain/resource-server/resource-server.rules';
import { SigningKey, SigningKeyStateEnum } from './signing-key.type';

export const SigningKeyConnection = Connection(SigningKey, 'SigningKey');

@InputType()
export class SigningKeyFilter {
  @Field(() => SigningAlgorithmEnum, { nullable: true })
  algorithm?: SigningAlgorithm | null;

  @Field(() => SigningKeyStateEnum, { nullable: true })
  state?: KeyState | null;
}

@ObjectType()
export class SigningKeyRotatePayload {
  @Field(() => SigningKey, { nullable: true, description: 'The key that signs from now on (the former next key).' })
  current?: SigningKey | null;

  @Field(() => SigningKey, { nullable: true, description: 'The key that signed until now; still published until revoked.' })
  previous?: SigningKey | null;

  @Field(() => SigningKey, { nullable: true, description: 'The newly generated key, published ahead of its turn.' })
  next?: SigningKey | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class SigningKeyRevokePayload {
  @Field(() => SigningKey, { nullable: true })
  signingKey?: SigningKey | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@Resolver(() => SigningKey)
export class SigningKeyResolver {
  @Authorized(S.readSigningKeys)
  @Query(() => SigningKeyConnection, { description: 'Signing keys of every ring, oldest first, revoked ones included.' })
  async signingKeys(
    @Ctx() ctx: GraphQLContext,
    @Args() args: ConnectionArgs,
    @Arg('filter', () => SigningKeyFilter, { nullable: true }) filter?: SigningKeyFilter | null,
  ) {
    const where = { algorithm: filter?.algorithm ?? undefined, state: filter?.state ?? undefined };
    return nodeConnection(ctx, 'SigningKey', ctx.services.signingKeys, args, where);
  }

  @Authorized(S.createSigningKeys, S.updateSigningKeys)
  @Mutation(() => SigningKeyRotatePayload, {
    description:
      'Rotates the ring of an algorithm in one transaction: next → current, current → previous, and a new next key. Every instance signs with the new key within a second; tokens of the previous key keep verifying.',
  })
  signingKeyRotate(@Ctx() ctx: GraphQLContext, @Arg('algorithm', () => SigningAlgorithmEnum) algorithm: SigningAlgorithm) {
    return mutate(async () => {
      const keys = await ctx.services.signingKeys.rotate(algorithm, actorOf(ctx));
      return { current: SigningKey.from(keys.current), previous: SigningKey.from(keys.previous), next: SigningKey.from(keys.next) };
    });
  }

  @Authorized(S.updateSigningKeys)
  @Mutation(() => SigningKeyRevokePayload, {
    description:
      'Revokes a PREVIOUS key for good: it leaves the JWKS, every token it signed is refused (Management API included), and its private key is erased.',
  })
  signingKeyRevoke(@Ctx() ctx: GraphQLContext, @Arg('kid') kid: string) {
    return mutate(async () => ({ signingKey: SigningKey.from(await ctx.services.signingKeys.revoke(kid, actorOf(ctx))) }));
  }
}
