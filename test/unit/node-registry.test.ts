import { GraphQLInterfaceType, GraphQLObjectType, getNamedType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { buildManagementSchema } from '../../src/graphql/schema';
import { decodeNodeId, NODE_TYPES } from '../../src/graphql/relay/node-registry';
import { toGlobalId } from '../../src/graphql/relay/global-id';

describe('node registry', () => {
  const schema = buildManagementSchema();
  const node = schema.getType('Node') as GraphQLInterfaceType;

  it('has one entry for every type implementing Node, and none for another type', () => {
    const implementing = schema.getImplementations(node).objects.map((type) => type.name);
    expect(Object.keys(NODE_TYPES).sort()).toEqual(implementing.sort());
  });

  it('keys each entry by the name of its GraphQL type', () => {
    const objectTypes = getMetadataStorage().objectTypes;
    for (const [name, entry] of Object.entries(NODE_TYPES)) {
      expect(objectTypes.find((t) => t.target === entry.type)?.name).toBe(name);
    }
  });

  it('decodes global IDs of registered types only', () => {
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    for (const name of Object.keys(NODE_TYPES) as (keyof typeof NODE_TYPES)[]) {
      expect(decodeNodeId(toGlobalId(name, uuid))).toEqual({ type: name, id: uuid });
    }
    expect(decodeNodeId(Buffer.from(`Scope:${uuid}`).toString('base64url'))).toBeNull();
    expect(decodeNodeId(Buffer.from(`toString:${uuid}`).toString('base64url'))).toBeNull();
  });

  it('makes every field that refers to a Node from another object nullable (a missing scope nulls only it)', () => {
    const nodeNames = new Set(Object.keys(NODE_TYPES));
    const wrappers = /(Payload|Edge|Connection)$/;
    const nonNull: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
      if (['Query', 'Mutation'].includes(type.name) || wrappers.test(type.name)) continue;
      for (const field of Object.values(type.getFields())) {
        const named = getNamedType(field.type);
        if (nodeNames.has(named.name) && field.type.toString().endsWith('!')) nonNull.push(`${type.name}.${field.name}`);
      }
    }
    expect(nonNull).toEqual([]);
  });
});
