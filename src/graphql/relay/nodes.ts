import { GraphQLError } from 'graphql';
import type { GraphQLContext } from '../context';
import type { Page, PageRequest } from '../../domain/pagination';
import { ConnectionArgs, toConnection, toPageRequest } from './connection';
import { decodeId } from './global-id';
import { NodeOf, NodeTypeName, nodeType } from './node-registry';

/** The object of a type by database id through its request's loader (batched), or null. No scope check. */
export async function loadNode<K extends NodeTypeName>(ctx: GraphQLContext, type: K, id: string): Promise<NodeOf<K> | null> {
  const { entity: entityClass, toGraphQL } = nodeType(type);
  const entity = await ctx.loaders.byId(entityClass).load(id);
  return entity ? (toGraphQL(entity) as NodeOf<K>) : null;
}

/** The object behind a global ID argument of the expected type, or null (an ID of another type included). */
export async function findNode<K extends NodeTypeName>(ctx: GraphQLContext, globalId: string, type: K): Promise<NodeOf<K> | null> {
  const id = decodeId(globalId, type);
  return id ? loadNode(ctx, type, id) : null;
}

/** Where a root connection of a Node type reads: a keyset page and a count, under one filter. */
export interface NodeSource<E, F> {
  list(page: PageRequest, filter: F): Promise<Page<E>>;
  count(filter: F): Promise<number>;
}

/**
 * A root connection of a Node type: a page from `source` (its entities primed into the type's
 * loader, so a reference to one of them costs no statement) and `totalCount` counted when selected.
 */
export async function nodeConnection<K extends NodeTypeName, E extends { id: string; seq: string }, F>(
  ctx: GraphQLContext,
  type: K,
  source: NodeSource<E, F>,
  args: ConnectionArgs,
  filter: F,
) {
  const { entity: entityClass, toGraphQL } = nodeType(type);
  const page = await source.list(toPageRequest(args), filter);
  const loader = ctx.loaders.byId(entityClass);
  for (const entity of page.items) loader.prime(entity.id, entity);
  return toConnection(
    page,
    (entity) => toGraphQL(entity) as NodeOf<K>,
    () => source.count(filter),
  );
}

/**
 * The object of a root query that takes its global `id` or one unique key (`clientId`,
 * `identifier`): exactly one of the two, else BAD_USER_INPUT.
 */
export async function findNodeByIdOr<K extends NodeTypeName, E extends { id: string }>(
  ctx: GraphQLContext,
  type: K,
  id: string | null | undefined,
  key: { name: string; value: string | null | undefined; find(value: string): Promise<E | null> },
): Promise<NodeOf<K> | null> {
  if ((id == null) === (key.value == null)) {
    throw new GraphQLError(`Pass exactly one of \`id\` and \`${key.name}\``, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  if (id != null) return findNode(ctx, id, type);
  const entity = await key.find(key.value!);
  return entity ? (nodeType(type).toGraphQL(entity) as NodeOf<K>) : null;
}
