import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { context, SpanStatusCode } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './config';
import { PROBE_PATHS } from './http/health';
import { setSpanRunner } from './lib/trace-span';

export interface Tracing {
  /** Exports the spans still buffered, then stops; called last at shutdown. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry tracing, started by main.ts (only when config.tracing is set, and before it loads
 * the app) so the instrumentations patch `http` and `pg` as they are first required:
 * - HTTP server spans (`POST /oauth/token`: method, route, status), query values redacted; probes
 *   and the metrics port are not traced; outgoing calls neither (a token hook's URL may carry a secret);
 * - GraphQL parse, validate and execute spans (`graphql.operation.name`), root fields only,
 *   literal values in the recorded document replaced by `*`;
 * - `pg` statements within a request (text with `$n` placeholders, never the parameters);
 * - token issuance (`oauth.token.issue`, through lib/trace-span.ts).
 * Spans go in batches over OTLP/HTTP to config.tracing.endpoint.
 */
export function startTracing(tracing: TracingConfig, options: { metricsPort: number | undefined }): Tracing {
  const exporterOptions = { url: tracing.endpoint, headers: tracing.headers };
  const exporter = tracing.protocol === 'http/json' ? new JsonTraceExporter(exporterOptions) : new ProtobufTraceExporter(exporterOptions);
  const provider = new NodeTracerProvider({
    // OTEL_RESOURCE_ATTRIBUTES is kept; service.name is OTEL_SERVICE_NAME (default apiauth).
    resource: defaultResource()
      .merge(detectResources({ detectors: [envDetector] }))
      .merge(resourceFromAttributes({ 'service.name': tracing.serviceName })),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();

  const { metricsPort } = options;
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        disableOutgoingRequestInstrumentation: true,
        ignoreIncomingRequestHook: (request) => request.socket.localPort === metricsPort || PROBE_PATHS.has(request.url ?? ''),
        startIncomingSpanHook: (request) => redactedQuery(request as IncomingMessage),
      }),
      new GraphQLInstrumentation({ depth: 1, mergeItems: true }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  diagnostics.subscribe('fastify.initialization', nameServerSpansByRoute);

  const tracer = provider.getTracer('apiauth');
  setSpanRunner((name, attributes, work) =>
    tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await work();
      } catch (error) {
        // The error's class only: a message may carry what a trace must not.
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute('error.type', error instanceof Error ? error.name : 'unknown');
        throw error;
      } finally {
        span.end();
      }
    }),
  );
  return { shutdown: () => provider.shutdown() };
}

/**
 * Gives the HTTP server span its route (`http.route`, and the name `POST /oauth/token`): the HTTP
 * instrumentation reads it from the request's RPC metadata when the response ends. Fastify
 * announces each instance it creates on this channel, before any route is added.
 */
function nameServerSpansByRoute(message: unknown): void {
  const { fastify } = message as { fastify: FastifyInstance };
  fastify.addHook('onRequest', (request, _reply, done) => {
    const metadata = getRPCMetadata(context.active());
    const route = request.routeOptions.url;
    if (metadata?.type === RPCType.HTTP && route !== undefined) metadata.route = route;
    done();
  });
}

/** `url.query` with every value replaced: parameters such as `code`, `id_token_hint` or `login_hint` are secrets or personal data. */
function redactedQuery(request: IncomingMessage): Record<string, string> {
  const start = request.url?.indexOf('?') ?? -1;
  if (start === -1) return {};
  const redacted = new URLSearchParams();
  for (const name of new URLSearchParams(request.url!.slice(start + 1)).keys()) redacted.append(name, 'REDACTED');
  return { 'url.query': redacted.toString() };
}
