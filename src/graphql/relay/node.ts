import { Field, ID, InterfaceType } from 'type-graphql';
import { toGlobalId } from './global-id';
import type { NodeTypeName } from './node-registry';

@InterfaceType({ description: 'An object with an opaque global ID, fetchable with `node(id)`.' })
export abstract class Node {
  @Field(() => ID, { description: 'Opaque global ID.' })
  id!: string;

  /** Database id, for field resolvers (not in the schema). */
  uuid!: string;
}

/**
 * The GraphQL object of a Node from its entity: its global ID, its database id and the named fields
 * copied as they are (`extra`: the others). Only named fields are read, so nothing else of the
 * entity (a password hash) can reach the API.
 */
export function nodeObject<T extends Node, K extends keyof T>(
  object: T,
  type: NodeTypeName,
  entity: { id: string } & Pick<T, K>,
  fields: readonly K[],
  extra: Partial<T> = {},
): T {
  const source: Pick<T, K> = entity;
  object.id = toGlobalId(type, entity.id);
  object.uuid = entity.id;
  for (const field of fields) object[field] = source[field];
  return Object.assign(object, extra);
}
