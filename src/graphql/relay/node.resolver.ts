import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from '../context';
import { decodeNodeId, NODE_TYPES, NodeTypeName, nodeType } from './node-registry';
import { findNode, loadNode } from './nodes';
import { Node } from './node';
import { PAGE_SIZE_MAX } from './connection';

/** Fails with FORBIDDEN when the caller lacks the scope to read a node of that type. */
export type ScopeCheck = (ctx: GraphQLContext, scope: string, coordinate: string) => void;

/** A node by global ID, after the read scope of its type (checked per node, as a field would be). */
async function resolveNode(ctx: GraphQLContext, globalId: string, check: (scope: string) => void): Promise<Node | null> {
  const decoded = decodeNodeId(globalId);
  if (!decoded) return null;
  check(NODE_TYPES[decoded.type].readScope);
  return loadNode(ctx, decoded.type, decoded.id);
}

/**
 * `node(id)`, `nodes(ids)`, and the by-id query of each Node type whose registry entry names one:
 * `@Authorized(readScope) @Query(() => Type, { nullable: true }) query(@Ctx() ctx, @Arg('id', () => ID) id)`.
 */
export function createNodeResolver(requireScope: ScopeCheck) {
  @Resolver()
  class NodeResolver {
    @Query(() => Node, { nullable: true, description: 'Any object by its global ID.' })
    node(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Node | null> {
      return resolveNode(ctx, id, (scope) => requireScope(ctx, scope, 'node'));
    }

    @Query(() => [Node], { nullable: 'items', description: `Objects by global ID, in order; null where none (at most ${PAGE_SIZE_MAX}).` })
    nodes(@Ctx() ctx: GraphQLContext, @Arg('ids', () => [ID]) ids: string[]): Promise<(Node | null)[]> {
      if (ids.length > PAGE_SIZE_MAX) {
        throw new GraphQLError(`\`ids\` must have at most ${PAGE_SIZE_MAX} entries`, { extensions: { code: 'BAD_USER_INPUT' } });
      }
      return Promise.all(ids.map((id) => resolveNode(ctx, id, (scope) => requireScope(ctx, scope, 'nodes'))));
    }
  }

  const prototype = NodeResolver.prototype as unknown as Record<string, unknown>;
  for (const type of Object.keys(NODE_TYPES) as NodeTypeName[]) {
    const { query, readScope, type: objectType } = nodeType(type);
    if (!query) continue;
    prototype[query] = (ctx: GraphQLContext, id: string) => findNode(ctx, id, type);
    Authorized(readScope)(prototype, query);
    Query(() => objectType, { nullable: true })(prototype, query, Object.getOwnPropertyDescriptor(prototype, query)!);
    Ctx()(prototype, query, 0);
    Arg('id', () => ID)(prototype, query, 1);
  }
  return NodeResolver;
}
