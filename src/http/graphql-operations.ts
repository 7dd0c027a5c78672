import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyBaseLogger } from 'fastify';
import type { GraphQLContext } from '../graphql/context';
import type { Metrics } from './metrics';
import { publicErrorCode } from './graphql-errors';

/**
 * Ties GraphQL work to its HTTP request: the request's logger (so a resolver fault is logged with
 * the request's reqId) and, when metrics are on, one count and one duration per operation.
 */
export class GraphQLOperations {
  private readonly logs = new WeakMap<object, FastifyBaseLogger>();
  private readonly errorLogs = new WeakMap<object, FastifyBaseLogger>();

  constructor(private readonly metrics?: Metrics) {}

  /** Called with each request's context as it is created. */
  attach(context: GraphQLContext, log: FastifyBaseLogger): GraphQLContext {
    this.logs.set(context, log);
    return context;
  }

  /** The logger of the request in which `error` was met, if known. */
  logFor = (error: unknown): FastifyBaseLogger | undefined =>
    typeof error === 'object' && error !== null ? this.errorLogs.get(error) : undefined;

  plugin(): ApolloServerPlugin<GraphQLContext> {
    const { logs, errorLogs, metrics } = this;
    return {
      async requestDidStart({ contextValue }) {
        const started = performance.now();
        const log = logs.get(contextValue);
        return {
          async didEncounterErrors({ errors }) {
            if (log) for (const error of errors) errorLogs.set(error, log);
          },
          async willSendResponse({ operation, errors }) {
            if (!metrics) return;
            const outcome = errors?.length ? publicErrorCode(errors[0].extensions?.code) : 'success';
            // Unresolved (unparsable, invalid) operations have no trustworthy name or type.
            const name = operation ? (operation.name?.value ?? null) : 'unknown';
            metrics.graphqlOperation(name, operation?.operation ?? 'unknown', outcome, (performance.now() - started) / 1000);
          },
        };
      },
    };
  }
}
