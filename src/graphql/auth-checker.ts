import { GraphQLError } from 'graphql';
import type { AuthChecker } from 'type-graphql';
import type { GraphQLContext } from './context';

/**
 * `@Authorized(scope, …)` means "the token must hold every one of these management scopes".
 * A missing scope fails only that field (FORBIDDEN, naming the scopes); the rest of the query
 * is still answered. Requests without a valid token never reach here: the HTTP layer answers 401.
 */
export function requireScopes(ctx: GraphQLContext, scopes: readonly string[]): void {
  if (!ctx.principal) {
    throw new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
  }
  const missing = scopes.filter((scope) => !ctx.principal!.scopes.has(scope));
  if (missing.length > 0) {
    throw new GraphQLError(`Missing scope: ${missing.join(', ')}`, {
      extensions: { code: 'FORBIDDEN', missingScopes: missing },
    });
  }
}

export const authChecker: AuthChecker<GraphQLContext> = ({ context }, scopes) => {
  requireScopes(context, scopes);
  return true;
};
