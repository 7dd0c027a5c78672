import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { enumOf } from '../enums';
import { TOKEN_HOOK_FAILURE_POLICIES, TokenHookFailurePolicy } from '../../domain/token-hook/token-hook.rules';
import type { TokenHookEntity } from '../../domain/token-hook/token-hook.entity';

export const TokenHookFailurePolicyEnum = enumOf(TOKEN_HOOK_FAILURE_POLICIES);
registerEnumType(TokenHookFailurePolicyEnum, {
  name: 'TokenHookFailurePolicy',
  description: "What happens to a token when its API's hook fails (error, timeout, non-2xx, malformed or oversized answer).",
  valuesConfig: {
    DENY: { description: 'No token: the token endpoint answers `access_denied` (default).' },
    ALLOW_WITHOUT_CLAIMS: { description: "The token is issued without the hook's claims." },
  },
});

@ObjectType({
  description:
    "An API's token hook: called before each of its tokens is signed, it answers custom claims. Its secret (HMAC of each call) is shown only by `resourceServerTokenHookSet`.",
})
export class TokenHook {
  @Field({ description: 'Where the hook is POSTed: https (http only for hosts in TOKEN_HOOK_ALLOWED_HOSTS).' })
  url!: string;

  @Field(() => Int, { description: 'Milliseconds the whole call may take (100–10000).' })
  timeoutMs!: number;

  @Field(() => TokenHookFailurePolicyEnum)
  failurePolicy!: TokenHookFailurePolicy;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;

  static from(entity: TokenHookEntity): TokenHook {
    return Object.assign(new TokenHook(), {
      url: entity.url,
      timeoutMs: entity.timeoutMs,
      failurePolicy: entity.failurePolicy,
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    });
  }
}
