import { Authorized, ClassType, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { NodeTypeName, nodeType } from './node-registry';
import { loadNode } from './nodes';

/** A field of an object that refers to a Node. */
export interface Reference<P> {
  /** The Node type referred to: its read scope guards the field, its loader batches it. */
  to: NodeTypeName;
  /** The database id of the object referred to (null: none). */
  id: (parent: P) => string | null;
  description?: string;
}

/**
 * The resolver of the fields of `parent` that refer to Nodes (`ClientGrant.client`), generated from
 * the node registry. Each field is nullable behind its target's read scope: a caller without it
 * gets FORBIDDEN for that field and null in it, not a null parent. Each load goes through the
 * target's per-request loader, so a list of parents costs one statement per field.
 */
export function referenceFields<P extends object>(parent: ClassType<P>, fields: Record<string, Reference<P>>): ClassType {
  class ReferenceFields {}
  Object.defineProperty(ReferenceFields, 'name', { value: `${parent.name}References` });
  const prototype = ReferenceFields.prototype as Record<string, unknown>;
  for (const [name, reference] of Object.entries(fields)) {
    const target = nodeType(reference.to);
    prototype[name] = function resolve(root: P, ctx: GraphQLContext) {
      const id = reference.id(root);
      return id === null ? null : loadNode(ctx, reference.to, id);
    };
    // What `@Authorized(scope) @FieldResolver(…) name(@Root() root, @Ctx() ctx)` would declare.
    Authorized(target.readScope)(prototype, name);
    FieldResolver(() => target.type, { nullable: true, description: reference.description })(
      prototype,
      name,
      Object.getOwnPropertyDescriptor(prototype, name)!,
    );
    Root()(prototype, name, 0);
    Ctx()(prototype, name, 1);
  }
  Resolver(() => parent)(ReferenceFields);
  return ReferenceFields;
}
