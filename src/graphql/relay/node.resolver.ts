import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { fromGlobalId, NodeTypeName } from './global-id';
import { Node } from './node';
import { ResourceServer } from '../resource-server/resource-server.type';
import { Client } from '../client/client.type';
import { ClientGrant } from '../client-grant/client-grant.type';
import { SigningKey } from '../signing-key/signing-key.type';
import { AuditEvent } from '../audit-event/audit-event.type';
import { User } from '../user/user.type';
import { UserGrant } from '../user-grant/user-grant.type';
import { RefreshToken } from '../refresh-token/refresh-token.type';
import { Role } from '../role/role.type';
import { PAGE_SIZE_MAX } from './connection';

/** The scope needed to read each node type (checked per node, as a field would be). */
const READ_SCOPE: Record<NodeTypeName, string> = {
  ResourceServer: S.readResourceServers,
  Client: S.readClients,
  ClientGrant: S.readClientGrants,
  SigningKey: S.readSigningKeys,
  AuditEvent: S.readAuditEvents,
  User: S.readUsers,
  UserGrant: S.readGrants,
  RefreshToken: S.readRefreshTokens,
  Role: S.readRoles,
};

async function loadNode(ctx: GraphQLContext, globalId: string, check: (scope: string) => void): Promise<Node | null> {
  const decoded = fromGlobalId(globalId);
  if (!decoded) return null;
  check(READ_SCOPE[decoded.type]);
  switch (decoded.type) {
    case 'ResourceServer': {
      const entity = await ctx.loaders.resourceServer.load(decoded.id);
      return entity ? ResourceServer.from(entity) : null;
    }
    case 'Client': {
      const entity = await ctx.loaders.client.load(decoded.id);
      return entity ? Client.from(entity) : null;
    }
    case 'ClientGrant': {
      const entity = await ctx.loaders.clientGrant.load(decoded.id);
      return entity ? ClientGrant.from(entity) : null;
    }
    case 'SigningKey': {
      const entity = await ctx.loaders.signingKey.load(decoded.id);
      return entity ? SigningKey.from(entity) : null;
    }
    case 'AuditEvent': {
      const entity = await ctx.loaders.auditEvent.load(decoded.id);
      return entity ? AuditEvent.from(entity) : null;
    }
    case 'User': {
      const entity = await ctx.loaders.user.load(decoded.id);
      return entity ? User.from(entity) : null;
    }
    case 'UserGrant': {
      const entity = await ctx.loaders.userGrant.load(decoded.id);
      return entity ? UserGrant.from(entity) : null;
    }
    case 'RefreshToken': {
      const entity = await ctx.loaders.refreshToken.load(decoded.id);
      return entity ? RefreshToken.from(entity) : null;
    }
    case 'Role': {
      const entity = await ctx.loaders.role.load(decoded.id);
      return entity ? Role.from(entity) : null;
    }
  }
}

/** Fails with FORBIDDEN when the caller lacks the scope to read a node of that type. */
export type ScopeCheck = (ctx: GraphQLContext, scope: string, coordinate: string) => void;

export function createNodeResolver(requireScope: ScopeCheck) {
  @Resolver()
  class NodeResolver {
    @Query(() => Node, { nullable: true, description: 'Any object by its global ID.' })
    node(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Node | null> {
      return loadNode(ctx, id, (scope) => requireScope(ctx, scope, 'node'));
    }

    @Query(() => [Node], { nullable: 'items', description: `Objects by global ID, in order; null where none (at most ${PAGE_SIZE_MAX}).` })
    nodes(@Ctx() ctx: GraphQLContext, @Arg('ids', () => [ID]) ids: string[]): Promise<(Node | null)[]> {
      if (ids.length > PAGE_SIZE_MAX) {
        throw new GraphQLError(`\`ids\` must have at most ${PAGE_SIZE_MAX} entries`, { extensions: { code: 'BAD_USER_INPUT' } });
      }
      return Promise.all(ids.map((id) => loadNode(ctx, id, (scope) => requireScope(ctx, scope, 'nodes'))));
    }
  }
  return NodeResolver;
}
