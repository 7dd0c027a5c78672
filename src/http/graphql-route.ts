import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { buildManagementSchema } from '../graphql/schema';
import { checkLimits } from '../graphql/limits';
import { createLoaders } from '../graphql/loaders';
import type { GraphQLContext, Principal, Services } from '../graphql/context';
import { createErrorFormatter } from './graphql-errors';

export const GRAPHQL_BODY_LIMIT = 1024 * 1024;

/** Mounts the management API at /graphql (POST, and GET for queries). */
export async function mountGraphQL(
  app: FastifyInstance,
  deps: {
    config: Config;
    dataSource: DataSource;
    services: Services;
    /** The verified caller, set on the request by the authentication hook. */
    principalOf: (request: unknown) => Principal | null;
    preHandler?: Parameters<FastifyInstance['route']>[0]['preHandler'];
  },
): Promise<ApolloServer<GraphQLContext>> {
  const schema = buildManagementSchema();
  const limits: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (operation) checkLimits(schema, document, operation, request.variables ?? {}, deps.config.graphql);
        },
      };
    },
  };
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    formatError: createErrorFormatter(app.log),
    plugins: [limits, fastifyApolloDrainPlugin(app), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  const handler = fastifyApolloHandler(apollo, {
    context: async (request) => ({
      services: deps.services,
      loaders: createLoaders(deps.dataSource, deps.services),
      principal: deps.principalOf(request),
      requestId: String(request.id),
      denied: new Set<string>(),
    }),
  });
  app.route<{ Reply: string }>({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    bodyLimit: GRAPHQL_BODY_LIMIT,
    preHandler: deps.preHandler,
    handler,
  });
  return apollo;
}
