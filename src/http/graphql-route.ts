import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config';
import type { EntityLookup } from '../domain/entity-lookup';
import { buildManagementSchema } from '../graphql/schema';
import { checkLimits } from '../graphql/limits';
import { refuseNulCharacters } from '../graphql/nul-characters';
import { createLoaders } from '../graphql/loaders';
import type { GraphQLContext, Principal, Services } from '../graphql/context';
import { createErrorFormatter, databaseUnavailablePlugin } from './graphql-errors';
import { GraphQLOperations } from './graphql-operations';
import type { Metrics } from './metrics';
import type { Explorer } from './explorer';
import { graphqlCors } from './cors';

export const GRAPHQL_BODY_LIMIT = 1024 * 1024;

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
    introspection: true,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT (graceful shutdown); Apollo's own handlers would re-send the signal.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(app.log, operations.logFor),
    plugins: [
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
    preHandler: deps.preHandler,
    handler,
  });
  return apollo;
}
