import 'reflect-metadata';
import { buildSchemaSync, getMetadataStorage } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { authChecker, checkFieldResolverScopes, requireScopes, takeFieldResolverScopes } from './auth-checker';
import { createNodeResolver } from './relay/node.resolver';
import { ResourceServerResolver } from './resource-server/resource-server.resolver';
import { TokenHookResolver } from './resource-server/token-hook.resolver';
import { ClientResolver } from './client/client.resolver';
import { ClientGrantReferences, ClientGrantResolver } from './client-grant/client-grant.resolver';
import { AccessTokenResolver, RevokedTokenReferences } from './access-token/access-token.resolver';
import { SigningKeyResolver } from './signing-key/signing-key.resolver';
import { AuditEventResolver } from './audit-event/audit-event.resolver';
import { UserResolver } from './user/user.resolver';
import { UserGrantReferences, UserGrantResolver } from './user-grant/user-grant.resolver';
import { RefreshTokenReferences, RefreshTokenResolver } from './refresh-token/refresh-token.resolver';
import { PermissionReferences, RoleResolver } from './role/role.resolver';
import { UserRolesResolver } from './role/user-roles.resolver';
import { listValidEnumValues } from './enum-values-hint';

let schema: GraphQLSchema | undefined;

/**
 * Object types whose fields are plain properties read by graphql's default resolver instead of
 * type-graphql's per-field wrapper (a closure and a middleware dispatch for every field of every
 * list item). Only types where nothing would be skipped: no `@Authorized` or middleware on the
 * class, on its fields, or on the fields it inherits or takes from its interfaces; no field renamed.
 * Field resolvers (`@FieldResolver`, `@Field` methods) keep type-graphql's resolver, scope check included.
 */
function readPlainFieldsDirectly(): void {
  const prototypeChain = (target: object): object[] => {
    const chain: object[] = [];
    for (let current = target; current !== Function.prototype && current !== null; current = Object.getPrototypeOf(current)) {
      chain.push(current);
    }
    return chain;
  };
  const storage = getMetadataStorage();
  const guarded = new Set<object>([
    ...storage.authorizedFields.map((entry) => entry.target),
    ...storage.authorizedResolver.map((entry) => entry.target),
    ...storage.middlewares.map((entry) => entry.target),
    ...storage.resolverMiddlewares.map((entry) => entry.target),
  ]);
  for (const type of storage.objectTypes) {
    const targets = [...prototypeChain(type.target), ...(type.interfaceClasses ?? []).flatMap(prototypeChain)];
    const renamed = storage.fields.some((field) => targets.includes(field.target) && field.schemaName !== field.name);
    if (!renamed && !targets.some((target) => guarded.has(target))) type.simpleResolvers ??= true;
  }
}

/** The management API schema (built once per process: type-graphql metadata is global). */
export function buildManagementSchema(): GraphQLSchema {
  if (schema) return schema;
  readPlainFieldsDirectly();
  const resolvers = [
    createNodeResolver((ctx, scope, coordinate) => requireScopes(ctx, [scope], coordinate)),
    ResourceServerResolver,
    TokenHookResolver,
    ClientResolver,
    ClientGrantResolver,
    ClientGrantReferences,
    AccessTokenResolver,
    RevokedTokenReferences,
    SigningKeyResolver,
    AuditEventResolver,
    UserResolver,
    UserGrantResolver,
    UserGrantReferences,
    RefreshTokenResolver,
    RefreshTokenReferences,
    RoleResolver,
    PermissionReferences,
    UserRolesResolver,
  ] as const;
  const fieldScopes = takeFieldResolverScopes(resolvers);
  const built = buildSchemaSync({
    resolvers,
    authChecker,
    authMode: 'error',
    // Inputs are validated by the domain services, which report userErrors.
    validate: false,
    emitSchemaFile: false,
  });
  checkFieldResolverScopes(built, fieldScopes);
  listValidEnumValues(built);
  schema = built;
  return schema;
}
