import { ArgsType, ClassType, Field, Int, ObjectType } from 'type-graphql';
import { GraphQLError } from 'graphql';
import type { Page, PageRequest } from '../../domain/pagination';

export const PAGE_SIZE_MAX = 100;
export const PAGE_SIZE_DEFAULT = 20;

@ObjectType({ description: 'Relay pagination state of a connection.' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Items after \`after\`, at most ${PAGE_SIZE_MAX} (default ${PAGE_SIZE_DEFAULT}).` })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `Items before \`before\`, at most ${PAGE_SIZE_MAX}.` })
  last?: number | null;

  @Field(() => String, { nullable: true })
  before?: string | null;
}

/** Arguments of nested connections, which page forward only. */
@ArgsType()
export class ForwardConnectionArgs {
  @Field(() => Int, { nullable: true, description: `At most ${PAGE_SIZE_MAX} (default ${PAGE_SIZE_DEFAULT}).` })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

/** Cursors are opaque: base64url of the row's keyset position. */
export function encodeCursor(seq: string): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, argument: string): string {
  const decoded = cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^seq:(\d{1,18})$/.exec(decoded);
  if (!match) throw badInput(`\`${argument}\` is not a valid cursor`);
  return match[1];
}

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/**
 * The page-size rule of `first` and `last`: the problem, or undefined when `value` is allowed.
 * Checked before execution too (graphql/limits.ts), so a refused page size is an HTTP 400.
 */
export function pageSizeProblem(argument: 'first' | 'last', value: unknown): string | undefined {
  if (value == null) return undefined;
  return typeof value === 'number' && value >= 0 && value <= PAGE_SIZE_MAX
    ? undefined
    : `\`${argument}\` must be from 0 to ${PAGE_SIZE_MAX}`;
}

/** Validates Relay arguments into a keyset page request. */
export function toPageRequest(args: ConnectionArgs): PageRequest {
  const { first, last, after, before } = args;
  if (first != null && last != null) throw badInput('Pass `first` or `last`, not both');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    const problem = pageSizeProblem(name, value);
    if (problem) throw badInput(problem);
  }
  return {
    limit: first ?? last ?? PAGE_SIZE_DEFAULT,
    backward: last != null,
    afterSeq: after != null ? decodeCursor(after, 'after') : undefined,
    beforeSeq: before != null ? decodeCursor(before, 'before') : undefined,
  };
}

export interface ConnectionShape<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount(): Promise<number>;
}

/**
 * Builds a `<Name>Connection` type with its `<Name>Edge`. `totalCount` is computed only when
 * selected (it is a separate count query).
 */
export function Connection<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType implements ConnectionShape<T> {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [nodeType], { description: 'The nodes of `edges`, for clients that need no cursors.' })
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    counter!: () => Promise<number>;

    @Field(() => Int, { description: 'Items in the whole list, ignoring pagination.' })
    totalCount(): Promise<number> {
      return this.counter();
    }
  }
  return ConnectionType;
}

export function toConnection<E extends { seq: string }, T>(
  page: Page<E>,
  map: (entity: E) => T,
  counter: () => Promise<number>,
): ConnectionShape<T> & { counter: () => Promise<number> } {
  const edges = page.items.map((item) => ({ cursor: encodeCursor(item.seq), node: map(item) }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    counter,
    totalCount: counter,
  };
}
