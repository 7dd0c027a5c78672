import {
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  DocumentNode,
} from 'graphql';
import { getComplexity, simpleEstimator, ComplexityEstimator } from 'graphql-query-complexity';
import { PAGE_SIZE_DEFAULT } from './relay/connection';

/**
 * Depth of the operation's selections (fragments expanded), not counting introspection
 * (`__schema`, `__type`), so explorers and code generators keep working.
 */
export function operationDepth(operation: OperationDefinitionNode, document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const visit = (set: SelectionSetNode, depth: number, seen: Set<string>): number => {
    let max = depth;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        if (selection.selectionSet) max = Math.max(max, visit(selection.selectionSet, depth + 1, seen));
        else max = Math.max(max, depth + 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        max = Math.max(max, visit(selection.selectionSet, depth, seen));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name)) {
          max = Math.max(max, visit(fragment.selectionSet, depth, new Set(seen).add(name)));
        }
      }
    }
    return max;
  };
  return visit(operation.selectionSet, 0, new Set());
}

/** A list field costs its page size times its children: `first`/`last`, default page size. */
const connectionEstimator: ComplexityEstimator = ({ args, field, childComplexity }) => {
  const isPaged = 'first' in (field.args?.reduce((a, x) => ({ ...a, [x.name]: 1 }), {}) ?? {});
  if (!isPaged) return undefined;
  const size = Number(args.first ?? args.last ?? PAGE_SIZE_DEFAULT);
  return 1 + Math.max(1, size) * childComplexity;
};

const nodesEstimator: ComplexityEstimator = ({ args, field, childComplexity }) =>
  field.name === 'nodes' && Array.isArray(args.ids) ? 1 + args.ids.length * childComplexity : undefined;

export function operationComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
): number {
  return getComplexity({
    schema,
    query: document,
    operationName,
    variables,
    estimators: [nodesEstimator, connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
  });
}

/** Rejects an operation before execution when it is too deep or too costly. */
export function checkLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: { maxDepth: number; maxComplexity: number },
): void {
  const depth = operationDepth(operation, document);
  if (depth > limits.maxDepth) {
    throw new GraphQLError(`Query depth ${depth} exceeds the limit of ${limits.maxDepth}`, {
      extensions: { code: 'QUERY_TOO_DEEP', depth, maxDepth: limits.maxDepth },
    });
  }
  let complexity: number;
  try {
    complexity = operationComplexity(schema, document, operation.name?.value, variables);
  } catch (error) {
    // Variables that do not fit their types: the client's mistake, not a server fault.
    throw new GraphQLError(error instanceof GraphQLError ? error.message : 'Invalid variables', {
      extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
  if (complexity > limits.maxComplexity) {
    throw new GraphQLError(`Query complexity ${complexity} exceeds the limit of ${limits.maxComplexity}`, {
      extensions: { code: 'QUERY_TOO_COMPLEX', complexity, maxComplexity: limits.maxComplexity },
    });
  }
}
