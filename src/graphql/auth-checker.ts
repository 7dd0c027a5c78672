import { GraphQLError } from 'graphql';
import type { AuthChecker } from 'type-graphql';
import { actorOf, GraphQLContext } from './context';

/**
 * `@Authorized(scope, …)` means "the token must hold every one of these management scopes".
 * A missing scope fails only that field (FORBIDDEN, naming the scopes); the rest of the query
 * is still answered. Requests without a valid token never reach here: the HTTP layer answers 401.
 */
export function requireScopes(ctx: GraphQLContext, scopes: readonly string[], coordinate = 'node'): void {
  if (!ctx.principal) {
    throw new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
  }
  const missing = scopes.filter((scope) => !ctx.principal!.scopes.has(scope));
  if (missing.length > 0) {
    // Failed authorization is audited once per field per request, however many list items hit it.
    if (!ctx.denied.has(coordinate)) {
      ctx.denied.add(coordinate);
      ctx.services.audit.recordDenied(actorOf(ctx), {
        operation: coordinate,
        summary: { reason: 'insufficient_scope', missingScopes: missing },
      });
    }
    throw new GraphQLError(`Missing scope: ${missing.join(', ')}`, {
      extensions: { code: 'FORBIDDEN', missingScopes: missing },
    });
  }
}

export const authChecker: AuthChecker<GraphQLContext> = ({ context, info }, scopes) => {
  const coordinate =
    info.parentType.name === 'Mutation' || info.parentType.name === 'Query' ? info.fieldName : `${info.parentType.name}.${info.fieldName}`;
  requireScopes(context, scopes, coordinate);
  return true;
};
