import { GraphQLEnumType, GraphQLError, type GraphQLSchema, isEnumType } from 'graphql';

/**
 * Makes every enum of `schema` name its valid values when it refuses one, in a variable or a
 * literal: graphql-js only suggests the closest ("Did you mean …?"), or nothing when none is close.
 * The values are public (they are in schema.graphql).
 */
export function listValidEnumValues(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (isEnumType(type) && !type.name.startsWith('__')) withValidValues(type);
  }
}

function withValidValues(type: GraphQLEnumType): void {
  const hint = ` Valid values: ${type
    .getValues()
    .map((value) => value.name)
    .join(', ')}.`;
  const explain = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      throw new GraphQLError(error.message + hint, {
        nodes: error.nodes,
        originalError: error.originalError,
        extensions: error.extensions,
      });
    }
  };
  const parseValue = type.parseValue.bind(type);
  const parseLiteral = type.parseLiteral.bind(type);
  type.parseValue = (value, ...rest) => explain(() => parseValue(value, ...rest));
  type.parseLiteral = (node, variables, ...rest) => explain(() => parseLiteral(node, variables, ...rest));
}
