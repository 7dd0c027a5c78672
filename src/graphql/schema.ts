import 'reflect-metadata';
import { buildSchemaSync } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { authChecker, requireScopes } from './auth-checker';
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

/** The management API schema (built once per process: type-graphql metadata is global). */
export function buildManagementSchema(): GraphQLSchema {
  if (schema) return schema;
  schema = buildSchemaSync({
    resolvers: [
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
    ],
    authChecker,
    authMode: 'error',
    // Inputs are validated by the domain services, which report userErrors.
    validate: false,
    emitSchemaFile: false,
  });
  listValidEnumValues(schema);
  return schema;
}
