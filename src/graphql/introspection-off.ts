import { GraphQLError, ValidationRule } from 'graphql';
import { SCHEMA_META_FIELDS } from './limits';

/**
 * INTROSPECTION=off: refuses every `__schema` and `__type` selection, whoever asks (a validation
 * error, HTTP 400), and says where token holders get the schema instead (`sdlPath`). `__typename`
 * stays: clients need it to read unions and interfaces.
 */
export function introspectionOffRule(sdlPath: string): ValidationRule {
  return (context) => ({
    Field(node) {
      if (!SCHEMA_META_FIELDS.has(node.name.value)) return;
      context.reportError(
        new GraphQLError(
          `Introspection is off on this server (${node.name.value}); with a Management API token, GET ${sdlPath} serves the schema`,
          { nodes: [node] },
        ),
      );
    },
  });
}
