import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { FastifyBaseLogger } from 'fastify';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context';
import { isDatabaseUnavailable } from '../db/database-errors';
import { isTextEncodingError } from '../db/text-encoding-error';

/** Error codes whose message is meant for the client; anything else is a server fault. */
const PUBLIC_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COMPLEX',
  'SERVICE_UNAVAILABLE',
  'QUERY_TOO_MANY_ALIASES',
  'QUERY_TOO_MANY_INTROSPECTIONS',
]);

/** Extension keys passed through for public errors (never `stacktrace`, never input echoes). */
const PUBLIC_EXTENSIONS = [
  'code',
  'missingScopes',
  'depth',
  'maxDepth',
  'complexity',
  'maxComplexity',
  'aliases',
  'maxAliases',
  'introspections',
  'maxIntrospections',
  'http',
];

const MESSAGE_MAX = 500;

/** The database cannot be reached right now: answered with HTTP 503 (see databaseUnavailablePlugin). */
export const SERVICE_UNAVAILABLE = {
  message: 'The service is temporarily unavailable; retry shortly',
  extensions: { code: 'SERVICE_UNAVAILABLE' },
} as const;

/** Answers an operation that met an unreachable database with HTTP 503 and Retry-After, not 200 or 500. */
export function databaseUnavailablePlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, errors }) {
          if (!errors?.some((error) => isDatabaseUnavailable(unwrapResolverError(error)))) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', '1');
        },
      };
    },
  };
}

/** The code a client sees for an error with this `extensions.code`: itself if public, else INTERNAL_SERVER_ERROR. */
export function publicErrorCode(code: unknown): string {
  return typeof code === 'string' && PUBLIC_CODES.has(code) ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Shapes every GraphQL error: public errors keep their message (shortened) and code; text the
 * database refused (see isTextEncodingError) is BAD_USER_INPUT; any other error is logged and
 * answered as a bare INTERNAL_SERVER_ERROR, so no internal detail leaks.
 * `logFor` gives the logger of the request the error belongs to (so the line has its reqId).
 */
export function createErrorFormatter(log: FastifyBaseLogger, logFor?: (error: unknown) => FastifyBaseLogger | undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (isDatabaseUnavailable(unwrapResolverError(error))) {
      (logFor?.(error) ?? log).warn({ err: unwrapResolverError(error), path: formatted.path }, 'database unavailable');
      return { ...SERVICE_UNAVAILABLE, path: formatted.path, locations: formatted.locations };
    }
    const code = String(formatted.extensions?.code ?? '');
    // The safety net behind refuseNulCharacters: text the database refused is the input's fault.
    if (isTextEncodingError(unwrapResolverError(error))) {
      return {
        message: 'An argument holds a character the server cannot store',
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    if (!PUBLIC_CODES.has(code)) {
      (logFor?.(error) ?? log).error({ err: unwrapResolverError(error), path: formatted.path }, 'GraphQL resolver fault');
      return {
        message: 'Internal server error',
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    }
    const extensions = Object.fromEntries(
      Object.entries(formatted.extensions ?? {}).filter(([key]) => PUBLIC_EXTENSIONS.includes(key) && key !== 'http'),
    );
    const message = formatted.message.length > MESSAGE_MAX ? `${formatted.message.slice(0, MESSAGE_MAX)}…` : formatted.message;
    return { message, locations: formatted.locations, path: formatted.path, extensions };
  };
}
