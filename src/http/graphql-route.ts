import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import { Transform } from 'node:stream';
import type { FastifyInstance, preParsingHookHandler } from 'fastify';
import type { Config } from '../config';
import type { EntityLookup } from '../domain/entity-lookup';
import { buildManagementSchema } from '../graphql/schema';
import { renderSchema } from '../graphql/print-schema';
import { checkLimits } from '../graphql/limits';
import { refuseNulCharacters } from '../graphql/nul-characters';
import { introspectionOffRule } from '../graphql/introspection-off';
import { createLoaders } from '../graphql/loaders';
import type { GraphQLContext, Principal, Services } from '../graphql/context';
import { createErrorFormatter, databaseUnavailablePlugin } from './graphql-errors';
import { GraphQLOperations } from './graphql-operations';
import type { Metrics } from './metrics';
import type { Explorer } from './explorer';
import { graphqlCors } from './cors';

export const GRAPHQL_BODY_LIMIT = 1024 * 1024;
/**
 * The body limit of a request without an Authorization header: all such a request may do is
 * introspect (GraphiQL's introspection query is about 2 KB), so a large one is refused unread.
 */
export const GRAPHQL_TOKENLESS_BODY_LIMIT = 16 * 1024;
/** The schema as SDL (the committed schema.graphql), for the explorer and tools that read SDL. */
export const SCHEMA_SDL_PATH = '/graphql/schema.graphql';

const bodyTooLarge = (limit: number) =>
  Object.assign(new Error(`Request body is too large: at most ${limit} bytes without an access token`), {
    statusCode: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  });

/**
 * HTTP 413 for a request without an Authorization header whose body passes `limit` bytes: at once
 * when Content-Length says so, else as soon as the bytes read pass it (chunked bodies).
 */
function tokenlessBodyLimit(limit: number): preParsingHookHandler {
  return async (request, reply, payload) => {
    if (request.headers.authorization !== undefined) return payload;
    if (Number(request.headers['content-length']) > limit) {
      // The unread body is not drained: the connection ends with this response.
      reply.header('connection', 'close');
      throw bodyTooLarge(limit);
    }
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(received > limit ? bodyTooLarge(limit) : null, chunk);
      },
    });
    // Not stream.pipeline: on the error it would destroy the request, and with it the socket the
    // 413 goes out on. The rest of the body stays unread; Fastify closes the connection after the
    // answer, as for its own body limit.
    payload.on('error', (error) => counter.destroy(error));
    return payload.pipe(counter);
  };
}

/** Mounts the management API at /graphql (POST, and GET for queries). */
export async function mountGraphQL(
  app: FastifyInstance,
  deps: {
    config: Config;
    /** Rows by id, for the per-request loaders. */
    lookup: EntityLookup;
    services: Services;
    /** The verified caller, set on the request by the authentication hook. */
    principalOf: (request: unknown) => Principal | null;
    preHandler?: Parameters<FastifyInstance['route']>[0]['preHandler'];
    /** When set (EXPLORER=true), a browser navigating to /graphql gets the explorer page. */
    explorer?: Explorer;
    /** Operation counts and durations (METRICS_PORT); off when undefined. */
    metrics?: Metrics;
  },
): Promise<ApolloServer<GraphQLContext>> {
  const schema = buildManagementSchema();
  const operations = new GraphQLOperations(deps.metrics);
  const limits: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (operation) checkLimits(schema, document, operation, request.variables ?? {}, deps.config.graphql);
        },
      };
    },
  };
  const nulGuard: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          refuseNulCharacters(document, request.variables ?? {});
        },
      };
    },
  };
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // INTROSPECTION=off is our rule below: Apollo's own tells clients to reconfigure Apollo.
    introspection: true,
    validationRules: deps.config.graphql.introspection ? [] : [introspectionOffRule(SCHEMA_SDL_PATH)],
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT (graceful shutdown); Apollo's own handlers would re-send the signal.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(app.log, operations.logFor),
    // Compact JSON: Apollo's default indents every answer (a page of 50 clients: a third larger).
    stringifyResult: (result) => JSON.stringify(result),
    plugins: [
      // Its only effect here was `no-store` (the route sets it, below), for a hook on every field resolved.
      ApolloServerPluginCacheControlDisabled(),
      operations.plugin(),
      databaseUnavailablePlugin(),
      nulGuard,
      limits,
      fastifyApolloDrainPlugin(app),
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  const handler = fastifyApolloHandler(apollo, {
    context: async (request) =>
      operations.attach(
        {
          services: deps.services,
          loaders: createLoaders(deps.lookup, deps.services),
          principal: deps.principalOf(request),
          requestId: String(request.id),
          denied: new Set<string>(),
        },
        request.log,
      ),
  });
  const explorer = deps.explorer;
  const cors = graphqlCors(deps.config.corsOrigins);
  app.route<{ Reply: string }>({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    bodyLimit: GRAPHQL_BODY_LIMIT,
    // A browser navigation (GET, Accept prefers text/html, no `query` in the URL) gets the explorer
    // page here, before the token check: the page is static and needs no token. Everything else
    // (every GraphQL request) goes on to the preHandler and Apollo unchanged.
    // CORS first (CORS_ORIGINS): a listed origin's preflight is answered before anything else.
    onRequest: explorer
      ? [
          cors,
          async (request, reply) => {
            if (explorer.wantsPage(request)) return explorer.sendPage(reply);
          },
        ]
      : cors,
    preParsing: tokenlessBodyLimit(GRAPHQL_TOKENLESS_BODY_LIMIT),
    preHandler: deps.preHandler,
    // Management data (secrets shown once among it) is never stored by a cache.
    onSend: async (_request, reply, payload) => {
      reply.header('Cache-Control', 'no-store');
      return payload;
    },
    handler,
  });

  // The same schema introspection gives, as SDL: public while introspection is, else for callers
  // with a Management API token (the explorer sends the one it holds).
  // Printed on first request, not at start-up (tens of milliseconds of every start otherwise).
  let sdl: string | undefined;
  app.get(SCHEMA_SDL_PATH, { preHandler: deps.config.graphql.introspection ? undefined : deps.preHandler }, async (_request, reply) =>
    reply
      .header('Cache-Control', 'no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .type('text/plain; charset=utf-8')
      .send((sdl ??= renderSchema())),
  );
  return apollo;
}
