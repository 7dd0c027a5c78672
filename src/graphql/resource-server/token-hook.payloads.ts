import { Field, ObjectType } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import { UserError } from '../user-error';
import { ResourceServer } from './resource-server.type';
import { TokenHook } from './token-hook.type';

@ObjectType()
export class ResourceServerTokenHookSetPayload {
  @Field(() => ResourceServer, { nullable: true })
  resourceServer?: ResourceServer | null;

  @Field(() => TokenHook, { nullable: true })
  tokenHook?: TokenHook | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The hook secret, shown this once (a new hook, or `rotateSecret: true`); null when the hook keeps its secret. Verify each call: `X-Hook-Signature` is `sha256=` and the hex HMAC-SHA256 of the raw body keyed with this secret.',
  })
  hookSecret?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ResourceServerTokenHookRemovePayload {
  @Field(() => ResourceServer, { nullable: true })
  resourceServer?: ResourceServer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ResourceServerTokenHookTestPayload {
  @Field(() => JSONObjectResolver, { nullable: true, description: 'The claims the hook answered, parsed; null when the call failed.' })
  claims?: Record<string, unknown> | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the call failed ("timed out after 2000 ms", "answered HTTP 500", "address not allowed…"); never the hook\'s response body.',
  })
  error?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
