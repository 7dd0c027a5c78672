import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { FastifyBaseLogger } from 'fastify';

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

/** The code a client sees for an error with this `extensions.code`: itself if public, else INTERNAL_SERVER_ERROR. */
export function publicErrorCode(code: unknown): string {
  return typeof code === 'string' && PUBLIC_CODES.has(code) ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Shapes every GraphQL error: public errors keep their message (shortened) and code; any other
 * error is logged and answered as a bare INTERNAL_SERVER_ERROR, so no internal detail leaks.
 * `logFor` gives the logger of the request the error belongs to (so the line has its reqId).
 */
export function createErrorFormatter(log: FastifyBaseLogger, logFor?: (error: unknown) => FastifyBaseLogger | undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? '');
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
