/**
 * A tiny typed client for the Management API: POSTs a typed document (from `./generated/graphql`)
 * to `/graphql` and returns its `data`, typed. Any GraphQL client that understands
 * `TypedDocumentNode` (Apollo Client, urql, graphql-request…) can use the same documents instead.
 */
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/** One entry of a GraphQL response's top-level `errors`. */
export interface GraphQLErrorItem {
  message: string;
  path?: ReadonlyArray<string | number>;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  /** `code` is UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, QUERY_TOO_COMPLEX, … */
  extensions?: { code?: string; [key: string]: unknown };
}

/**
 * The request failed: an HTTP error, a response that is not GraphQL, or top-level GraphQL `errors`
 * (authentication, a missing management scope, an invalid document, a server fault). Business
 * refusals are not errors: they come back in each mutation payload's `userErrors`.
 */
export class ManagementApiError extends Error {
  override readonly name = 'ManagementApiError';
  constructor(
    message: string,
    /** HTTP status of the response (0 when no response arrived). */
    readonly status: number,
    /** The GraphQL `errors`, empty when the failure was not a GraphQL response. */
    readonly errors: readonly GraphQLErrorItem[] = [],
    /** Whatever `data` came with the errors (a partial result), else null. */
    readonly data: unknown = null,
  ) {
    super(message);
  }

  /** `extensions.code` of the first error (UNAUTHENTICATED, FORBIDDEN, …). */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** One refused mutation's `userErrors` entry, as every payload selects it. */
export interface UserErrorItem {
  field: readonly string[] | null;
  message: string;
  code: string;
}

/** Thrown by `assertNoUserErrors` when a mutation was refused. */
export class UserErrorsError extends Error {
  override readonly name = 'UserErrorsError';
  constructor(readonly userErrors: readonly UserErrorItem[]) {
    super(userErrors.map((e) => `${e.code}${e.field ? ` (${e.field.join('.')})` : ''}: ${e.message}`).join('; '));
  }
}

/** Returns the payload when its `userErrors` is empty; throws a `UserErrorsError` otherwise. */
export function assertNoUserErrors<P extends { userErrors: readonly UserErrorItem[] }>(payload: P): P {
  if (payload.userErrors.length > 0) throw new UserErrorsError(payload.userErrors);
  return payload;
}

export interface ManagementClientOptions {
  /** The GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  /** A Management API access token… */
  token?: string;
  /** …or a function returning one (called before each request: cache inside, see `clientCredentialsTokenProvider`). */
  getToken?: () => string | Promise<string>;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** Variables are optional when the operation has no required variable. */
export type VariablesArgument<TVariables> = Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

export interface ManagementClient {
  /** Runs one operation; resolves to its `data`, rejects with a `ManagementApiError`. */
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...variables: VariablesArgument<TVariables>
  ): Promise<TResult>;
}

const printed = new WeakMap<DocumentNode, string>();
const printOnce = (document: DocumentNode): string => {
  let query = printed.get(document);
  if (query === undefined) {
    query = print(document);
    printed.set(document, query);
  }
  return query;
};

const operationName = (document: DocumentNode): string | undefined => {
  for (const definition of document.definitions) {
    if (definition.kind === 'OperationDefinition') return definition.name?.value;
  }
  return undefined;
};

export function createManagementClient(options: ManagementClientOptions): ManagementClient {
  if (options.token !== undefined && options.getToken !== undefined) {
    throw new TypeError('createManagementClient: give either token or getToken, not both');
  }
  const doFetch = options.fetch ?? fetch;

  return {
    async request<TResult, TVariables>(
      document: TypedDocumentNode<TResult, TVariables>,
      ...[variables]: VariablesArgument<TVariables>
    ): Promise<TResult> {
      const token = options.getToken ? await options.getToken() : options.token;
      let response: Response;
      try {
        response = await doFetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
            ...options.headers,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query: printOnce(document), operationName: operationName(document), variables: variables ?? {} }),
        });
      } catch (error) {
        throw new ManagementApiError(`Management API unreachable: ${(error as Error).message}`, 0);
      }

      const text = await response.text();
      let body: { data?: TResult | null; errors?: GraphQLErrorItem[] };
      try {
        body = JSON.parse(text);
      } catch {
        throw new ManagementApiError(
          `Management API answered HTTP ${response.status} without JSON: ${text.slice(0, 200)}`,
          response.status,
        );
      }
      const errors = Array.isArray(body?.errors) ? body.errors : [];
      if (errors.length > 0) {
        const first = errors[0];
        const code = first.extensions?.code ? ` [${first.extensions.code}]` : '';
        const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
        throw new ManagementApiError(`${first.message}${code}${more}`, response.status, errors, body.data ?? null);
      }
      if (!response.ok || body?.data == null) {
        throw new ManagementApiError(
          `Management API answered HTTP ${response.status} without data`,
          response.status,
          [],
          body?.data ?? null,
        );
      }
      return body.data;
    },
  };
}
