import { GraphQLError, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { AuthChecker, getMetadataStorage } from 'type-graphql';
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

/** Where a field's failures are audited: its name at the root (`clients`), `Type.field` below (`Client.clientGrants`). */
function coordinateOf(info: GraphQLResolveInfo): string {
  const parent = info.parentType.name;
  return parent === 'Mutation' || parent === 'Query' ? info.fieldName : `${parent}.${info.fieldName}`;
}

export const authChecker: AuthChecker<GraphQLContext> = ({ context, info }, scopes) => {
  requireScopes(context, scopes, coordinateOf(info));
  return true;
};

/** A field resolver's `@Authorized` scopes, checked by `checkFieldResolverScopes` instead of type-graphql. */
export interface FieldResolverScopes {
  /** The resolver class and method declaring it. */
  target: object;
  methodName: string;
  scopes: string[];
}

/** Every declaration taken out of type-graphql's metadata so far (that metadata is global, so is this). */
const taken: FieldResolverScopes[] = [];

/**
 * Takes the `@Authorized` declarations of the field resolvers (`@FieldResolver`) of `resolvers` out
 * of type-graphql's metadata before the schema is built: `checkFieldResolverScopes` puts the same
 * check on those fields afterwards. Such a field runs once per item of a list (a nested connection,
 * a reference to a Node), and type-graphql checks it in an asynchronous middleware chain per item;
 * the check itself is synchronous. Root queries and mutations keep `@Authorized` as type-graphql
 * applies it. Returns every declaration taken so far, for `checkFieldResolverScopes`.
 */
export function takeFieldResolverScopes(resolvers: readonly object[]): readonly FieldResolverScopes[] {
  const storage = getMetadataStorage();
  for (const resolver of storage.fieldResolvers) {
    if (resolver.kind !== 'external' || !resolvers.includes(resolver.target)) continue;
    const index = storage.authorizedFields.findIndex(
      (entry) => entry.target === resolver.target && entry.fieldName === resolver.methodName,
    );
    if (index < 0) continue;
    const [entry] = storage.authorizedFields.splice(index, 1);
    taken.push({ target: resolver.target, methodName: resolver.methodName, scopes: entry.roles as string[] });
  }
  return taken;
}

/**
 * Puts back, on the built schema, every scope check `takeFieldResolverScopes` took: each field's
 * resolver first requires the scopes (the error and audit event of `@Authorized`, thrown before
 * type-graphql reads the arguments), then runs type-graphql's resolver. Fails the start when a
 * check cannot be placed exactly where it was declared (an unknown field, or an object type
 * inheriting the field from another one, which would keep a copy without the check).
 */
export function checkFieldResolverScopes(schema: GraphQLSchema, taken: readonly FieldResolverScopes[]): void {
  const storage = getMetadataStorage();
  for (const { target, methodName, scopes } of taken) {
    const resolver = storage.fieldResolvers.find((r) => r.target === target && r.methodName === methodName);
    const typeClass = resolver?.getObjectType?.();
    const objectType = storage.objectTypes.find((type) => type.target === typeClass);
    const inherited = storage.objectTypes.some(
      (type) => type.target !== typeClass && typeClass !== undefined && Object.prototype.isPrototypeOf.call(typeClass, type.target),
    );
    const type = objectType && schema.getType(objectType.name);
    const field = resolver && type instanceof GraphQLObjectType ? type.getFields()[resolver.schemaName] : undefined;
    const resolve = field?.resolve;
    if (!field || !resolve || inherited) {
      throw new Error(`The scope check of ${(target as { name?: string }).name}.${methodName} has no single field to guard`);
    }
    field.resolve = (root, args, context: GraphQLContext, info) => {
      requireScopes(context, scopes, coordinateOf(info));
      return resolve(root, args, context, info);
    };
  }
}
