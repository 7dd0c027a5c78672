import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { IncomingMessage } from 'node:http';
import { FastifyInstance, FastifyLoggerOptions, FastifyReply, FastifyRequest, LogController, FastifyBaseLogger } from 'fastify';
import { SerializedError, stdSerializers } from 'pino';
import type { LogLevel } from '../config';
import { PROBE_PATHS } from './health';

/** A caller's `x-request-id` is kept only when it looks like an id (no spaces, quotes or control characters). */
const REQUEST_ID = /^[A-Za-z0-9._-]{8,100}$/;

/** The request id: the caller's `x-request-id` when it is a safe token (so calls correlate), else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Body fields that carry secrets; bodies are never logged, this is the safety net if one is. */
const SECRET_FIELDS = [
  'client_secret',
  'client_assertion',
  'assertion',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'subject_token',
  'actor_token',
  'code',
  'code_verifier',
  'password',
  'clientSecret',
  'signingSecret',
];

/** Paths pino replaces with "[REDACTED]" in every log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((field) => [`body.${field}`, `req.body.${field}`]),
];

/**
 * What a logged error never carries: a failed query's SQL and parameters (TypeORM's
 * QueryFailedError has both: user emails, token hashes…) and PostgreSQL's `detail` and `where`,
 * which quote values ("Key (email)=(…) already exists"). The message, code and constraint stay.
 */
const ERROR_QUERY_FIELDS = ['query', 'parameters', 'detail', 'where'] as const;

/**
 * pino's error serializer, then ERROR_QUERY_FIELDS dropped from the error and from every error it
 * holds (TypeORM's `driverError`, aggregated errors).
 */
const serializeError = stdSerializers.wrapErrorSerializer((serialized) => omitQueryFields(serialized, 0)) as (
  error: Error,
) => SerializedError;

function omitQueryFields(serialized: Record<string, unknown>, depth: number): Record<string, unknown> {
  for (const field of ERROR_QUERY_FIELDS) delete serialized[field];
  if (depth >= 5) return serialized;
  for (const value of Object.values(serialized)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      // A held error was serialized into a new object (`raw` is the error); other values are the error's own: left alone.
      if (typeof item === 'object' && item !== null && (item as { raw?: unknown }).raw instanceof Error) {
        omitQueryFields(item as Record<string, unknown>, depth + 1);
      }
    }
  }
  return serialized;
}

/** Logged instead of the raw URL: the path alone (a query string can carry codes or tokens), bounded. */
export function pathOf(url: string): string {
  const end = url.indexOf('?');
  const path = end === -1 ? url : url.slice(0, end);
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/**
 * Fastify's pino options: JSON lines, secrets redacted, a request is never serialized with its
 * query or headers, an error never with a query's SQL or parameters. With `worker` (WORKERS>1: a
 * cluster worker's id, 0 for the primary) every line carries it besides pino's `pid` and `hostname`.
 */
export function loggerOptions(
  level: LogLevel,
  stream?: { write(line: string): void },
  worker?: number,
): FastifyLoggerOptions & Record<string, unknown> {
  return {
    level,
    ...(worker === undefined ? {} : { base: { pid: process.pid, hostname: os.hostname(), worker } }),
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: {
      req: (request: { method?: string; url?: string }) => ({ method: request.method, path: pathOf(request.url ?? '') }),
      res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
      err: serializeError,
    },
    ...(stream ? { stream } : {}),
  };
}

/**
 * Fastify's own per-request lines are off (they log the raw URL, query string included); the
 * access line comes from `registerRequestCompletion`. Unhandled 5xx faults are still logged, on
 * the request's logger (so with its reqId), without the request.
 */
export class AccessLogController extends LogController {
  constructor() {
    super({ disableRequestLogging: true });
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) request.log.error({ err: error }, 'request failed');
  }
}

/**
 * One hook at the end of every request: the access line (`request`, at info; probes at debug) and
 * the request-duration metric. Both are optional; with neither, no hook is added.
 */
export function registerRequestCompletion(
  app: FastifyInstance,
  options: { accessLog: boolean; observe?: (method: string, route: string, status: number, seconds: number) => void },
): void {
  const { accessLog, observe } = options;
  if (!accessLog && !observe) return;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    if (accessLog) {
      const log: FastifyBaseLogger = request.log;
      const line = { method: request.method, path: pathOf(request.url), route, status: reply.statusCode, ms: Math.round(ms * 10) / 10 };
      if (PROBE_PATHS.has(route)) log.debug(line, 'request');
      else log.info(line, 'request');
    }
    observe?.(request.method, route, reply.statusCode, ms / 1000);
    done();
  });
}
