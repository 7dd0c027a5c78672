import type { FastifyInstance } from 'fastify';

/** Longest a single readiness check may take before it counts as failed: /readyz never hangs. */
export const READINESS_CHECK_TIMEOUT_MS = 2000;

/** A readiness check resolves when healthy; a rejection or a timeout fails it. */
export type ReadinessCheck = () => Promise<unknown>;

async function passes(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      check().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The probes' paths, polled often: logged at debug only, and not traced. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * GET /healthz: the process serves (no dependency is touched). GET /readyz: every named check
 * passes (200 `ready`), else 503 naming the failing check ("unavailable") with no internal detail;
 * 503 `shutting_down` once a shutdown began, so load balancers drain the instance.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { checks: Record<string, ReadinessCheck>; shuttingDown: () => boolean; timeoutMs?: number },
): void {
  const timeoutMs = deps.timeoutMs ?? READINESS_CHECK_TIMEOUT_MS;
  app.get('/healthz', async (_request, reply) => reply.header('Cache-Control', 'no-store').send({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
    if (deps.shuttingDown()) return reply.code(503).send({ status: 'shutting_down' });
    const names = Object.keys(deps.checks);
    const results = await Promise.all(names.map((name) => passes(deps.checks[name], timeoutMs)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i] ? 'ok' : 'unavailable']));
    if (deps.shuttingDown()) return reply.code(503).send({ status: 'shutting_down' });
    const ready = results.every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });
}
