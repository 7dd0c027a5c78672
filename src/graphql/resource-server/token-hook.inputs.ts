import { Field, ID, InputType, Int } from 'type-graphql';
import { GrantTypeEnum } from '../enums';
import { TokenHookFailurePolicyEnum } from './token-hook.type';
import type { TokenHookFailurePolicy } from '../../domain/token-hook/token-hook.rules';
import type { GrantType } from '../../domain/client/client.rules';

@InputType({ description: 'The whole hook configuration: omitted settings take their defaults.' })
export class ResourceServerTokenHookSetInput {
  @Field({
    description:
      'Absolute https URL, at most 2000 characters, without credentials or fragment; http only for a host listed in TOKEN_HOOK_ALLOWED_HOSTS. Hosts that resolve to loopback, private, link-local or metadata addresses are refused at call time unless listed there.',
  })
  url!: string;

  @Field(() => Int, { nullable: true, description: 'Milliseconds the whole call may take: 100–10000 (default 2000).' })
  timeoutMs?: number | null;

  @Field(() => TokenHookFailurePolicyEnum, { nullable: true, description: 'Default DENY.' })
  failurePolicy?: TokenHookFailurePolicy | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Give an existing hook a new secret (returned in `hookSecret`); the old one stops at once. A new hook always gets one.',
  })
  rotateSecret?: boolean | null;
}

@InputType({ description: 'The sample context of a test call; everything is optional.' })
export class ResourceServerTokenHookTestInput {
  @Field(() => GrantTypeEnum, { nullable: true, description: 'Default CLIENT_CREDENTIALS, or AUTHORIZATION_CODE when `userId` is given.' })
  grantType?: GrantType | null;

  @Field(() => [String], { nullable: true, description: "Default: the API's scopes (the first 100)." })
  scopes?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'A client to describe; default a sample client.' })
  clientId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A user to describe; default a sample user for user grants.' })
  userId?: string | null;
}
