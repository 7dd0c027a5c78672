import { Field, InputType, Int } from 'type-graphql';
import { GRACE_PERIOD_MAX } from '../../domain/validation';
import { API_IDENTIFIER_MAX } from '../../lib/api-identifier';
import { ProofOfPossessionEnum, SigningAlgorithmEnum, TokenDialectEnum } from '../enums';
import { TOKEN_LIFETIME_MAX, TOKEN_LIFETIME_MIN } from '../../domain/resource-server/resource-server.rules';
import type { ProofOfPossession, SigningAlgorithm, TokenDialect } from '../../domain/resource-server/resource-server.rules';

@InputType({ description: 'A scope to define on an API.' })
export class ScopeInput {
  @Field({ description: 'RFC 6749 scope token, 1–280 printable ASCII characters without spaces, `"` or `\\`.' })
  value!: string;

  @Field(() => String, { nullable: true, description: 'At most 500 characters; shown on consent pages.' })
  description?: string | null;
}

@InputType()
export class ResourceServerCreateInput {
  @Field({ description: '1–200 characters, no `<` or `>`.' })
  name!: string;

  @Field({
    description: `Token audience: an absolute URI of at most ${API_IDENTIFIER_MAX} characters, unique, compared exactly. Immutable.`,
  })
  identifier!: string;

  @Field(() => SigningAlgorithmEnum, { nullable: true, description: 'Default RS256. Immutable.' })
  signingAlgorithm?: SigningAlgorithm | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, 60–2592000 (default 86400).' })
  tokenLifetime?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, at most tokenLifetime (default 7200, or tokenLifetime if lower).' })
  tokenLifetimeForWeb?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Default true.' })
  allowSkippingUserConsent?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Default false.' })
  allowOfflineAccess?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Default false.' })
  enforcePolicies?: boolean | null;

  @Field(() => TokenDialectEnum, { nullable: true, description: 'Default RFC9068_PROFILE.' })
  tokenDialect?: TokenDialect | null;

  @Field(() => ProofOfPossessionEnum, { nullable: true, description: 'Default NONE.' })
  proofOfPossession?: ProofOfPossession | null;

  @Field(() => [ScopeInput], { nullable: true, description: 'At most 1000.' })
  scopes?: ScopeInput[] | null;
}

@InputType({ description: 'Fields to change; omitted fields keep their value.' })
export class ResourceServerUpdateInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Immutable: accepted only when equal to the current value.' })
  identifier?: string | null;

  @Field(() => SigningAlgorithmEnum, { nullable: true, description: 'Immutable: accepted only when equal to the current value.' })
  signingAlgorithm?: SigningAlgorithm | null;

  @Field(() => Int, { nullable: true, description: `Seconds, ${TOKEN_LIFETIME_MIN} to ${TOKEN_LIFETIME_MAX}.` })
  tokenLifetime?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds, at most tokenLifetime.' })
  tokenLifetimeForWeb?: number | null;

  @Field(() => Boolean, { nullable: true })
  allowSkippingUserConsent?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  allowOfflineAccess?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  enforcePolicies?: boolean | null;

  @Field(() => TokenDialectEnum, { nullable: true })
  tokenDialect?: TokenDialect | null;

  @Field(() => ProofOfPossessionEnum, {
    nullable: true,
    description: 'Applies to tokens issued from now on (tokens bound already stay bound).',
  })
  proofOfPossession?: ProofOfPossession | null;
}

@InputType()
export class ResourceServerSigningSecretRotateInput {
  @Field(() => Int, {
    nullable: true,
    defaultValue: 0,
    description: `Seconds tokens signed with the current secret stay verifiable after the rotation: 0 (default, refused at once) to ${GRACE_PERIOD_MAX} (30 days).`,
  })
  previousSecretExpiresIn?: number | null;
}
