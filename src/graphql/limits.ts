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
import { PAGE_SIZE_DEFAULT, pageSizeProblem } from './relay/connection';

/** The fields that introspect the schema (`__typename` only names an object's type). */
export const SCHEMA_META_FIELDS: ReadonlySet<string> = new Set(['__schema', '__type']);

/** Schema introspection roots (`__schema`, `__type`) one operation may select. */
export const MAX_INTROSPECTION_ROOTS = 1;

export interface QueryLimits {
  maxDepth: number;
  maxComplexity: number;
  maxAliases: number;
}

/** What the limits look at, counted as written with fragments expanded, introspection included. */
export interface OperationShape {
  /** Deepest field selection (a top-level field is depth 1). */
  depth: number;
  /** Fields selected under an alias. */
  aliases: number;
  /** `__schema` and `__type` selections. */
  introspectionRoots: number;
}

/**
 * The shape of an operation in one pass over the document: each fragment is measured once and
 * reused wherever it is spread, so a document that spreads fragments into each other many times
 * costs no more to measure than to read.
 */
export function operationShape(operation: OperationDefinitionNode, document: DocumentNode): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const measured = new Map<string, OperationShape>();
  const none: OperationShape = { depth: 0, aliases: 0, introspectionRoots: 0 };

  const measure = (set: SelectionSetNode): OperationShape => {
    const shape = { ...none };
    const add = (inner: OperationShape, depthOffset: number) => {
      shape.depth = Math.max(shape.depth, inner.depth + depthOffset);
      shape.aliases += inner.aliases;
      shape.introspectionRoots += inner.introspectionRoots;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) shape.aliases += 1;
        if (SCHEMA_META_FIELDS.has(selection.name.value)) shape.introspectionRoots += 1;
        add(selection.selectionSet ? measure(selection.selectionSet) : none, 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        add(measure(selection.selectionSet), 0);
      } else {
        add(fragmentShape(selection.name.value), 0);
      }
    }
    return shape;
  };
  const fragmentShape = (name: string): OperationShape => {
    const known = measured.get(name);
    if (known) return known;
    // Validation has refused cycles already (NoFragmentCycles); `none` while measuring is a guard.
    measured.set(name, none);
    const fragment = fragments.get(name);
    const shape = fragment ? measure(fragment.selectionSet) : none;
    measured.set(name, shape);
    return shape;
  };
  return measure(operation.selectionSet);
}

/**
 * A list field costs its page size times its children: `first`/`last`, default page size. A page
 * size out of range is refused here, before anything runs, with the resolvers' own rule.
 */
const connectionEstimator: ComplexityEstimator = ({ args, field, childComplexity }) => {
  const isPaged = field.args?.some((a) => a.name === 'first') ?? false;
  if (!isPaged) return undefined;
  for (const name of ['first', 'last'] as const) {
    const problem = pageSizeProblem(name, args[name]);
    if (problem) throw new GraphQLError(problem, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  const size = Number(args.first ?? args.last ?? PAGE_SIZE_DEFAULT);
  return 1 + Math.max(1, size) * childComplexity;
};

const nodesEstimator: ComplexityEstimator = ({ args, field, childComplexity }) =>
  field.name === 'nodes' && Array.isArray(args.ids) ? 1 + args.ids.length * childComplexity : undefined;

/** Every other field, introspection fields included, costs 1 plus its children. */
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

/**
 * Measures of operations already seen. Apollo hands the same parsed document (and operation node)
 * to every request with the same query text, and a node never changes: what depends on it alone
 * is kept with it. The cost also depends on the variables: kept per variables' JSON, a few per
 * operation (a failed measure is not kept: it is computed, and thrown, again).
 */
const shapes = new WeakMap<OperationDefinitionNode, OperationShape>();
const complexities = new WeakMap<OperationDefinitionNode, { schema: GraphQLSchema; byVariables: Map<string, number> }>();
const COMPLEXITIES_PER_OPERATION = 32;

function shapeOf(operation: OperationDefinitionNode, document: DocumentNode): OperationShape {
  let shape = shapes.get(operation);
  if (!shape) {
    shape = operationShape(operation, document);
    shapes.set(operation, shape);
  }
  return shape;
}

function complexityOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  let entry = complexities.get(operation);
  if (entry?.schema !== schema) {
    entry = { schema, byVariables: new Map() };
    complexities.set(operation, entry);
  }
  const known = entry.byVariables;
  const key = JSON.stringify(variables);
  let complexity = known.get(key);
  if (complexity === undefined) {
    complexity = operationComplexity(schema, document, operation.name?.value, variables);
    if (known.size >= COMPLEXITIES_PER_OPERATION) known.clear();
    known.set(key, complexity);
  }
  return complexity;
}

/** A refusal of the operation as a whole: the client's to fix, so HTTP 400. */
const refusal = (message: string, extensions: Record<string, unknown>) =>
  new GraphQLError(message, { extensions: { ...extensions, http: { status: 400 } } });

/**
 * Refuses an operation before it runs when it has too many aliases, more than one introspection
 * root, too deep a selection, a page size out of range, or too high a cost. Introspection counts
 * like any other field: the limits hold whoever asks, with or without a token.
 */
export function checkLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  const { depth, aliases, introspectionRoots } = shapeOf(operation, document);
  if (aliases > limits.maxAliases) {
    throw refusal(`The operation has ${aliases} aliases; the limit is ${limits.maxAliases}`, {
      code: 'QUERY_TOO_MANY_ALIASES',
      aliases,
      maxAliases: limits.maxAliases,
    });
  }
  if (introspectionRoots > MAX_INTROSPECTION_ROOTS) {
    throw refusal(`The operation selects __schema or __type ${introspectionRoots} times; the limit is ${MAX_INTROSPECTION_ROOTS}`, {
      code: 'QUERY_TOO_MANY_INTROSPECTIONS',
      introspections: introspectionRoots,
      maxIntrospections: MAX_INTROSPECTION_ROOTS,
    });
  }
  if (depth > limits.maxDepth) {
    throw refusal(`Query depth ${depth} exceeds the limit of ${limits.maxDepth}`, {
      code: 'QUERY_TOO_DEEP',
      depth,
      maxDepth: limits.maxDepth,
    });
  }
  let complexity: number;
  try {
    complexity = complexityOf(schema, document, operation, variables);
  } catch (error) {
    // Variables that do not fit their types, a page size out of range: the client's mistake.
    throw refusal(error instanceof GraphQLError ? error.message : 'Invalid variables', { code: 'BAD_USER_INPUT' });
  }
  if (complexity > limits.maxComplexity) {
    throw refusal(`Query complexity ${complexity} exceeds the limit of ${limits.maxComplexity}`, {
      code: 'QUERY_TOO_COMPLEX',
      complexity,
      maxComplexity: limits.maxComplexity,
    });
  }
}
