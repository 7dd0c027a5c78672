import { performance } from 'node:perf_hooks';
import { assertPortFree } from './lib/port-free';
import pino from 'pino';
import type { Config } from './config';
import { loggerOptions } from './http/logging';
import { startMetricsServer } from './http/metrics';
import { ClusterMetrics } from './http/cluster-metrics';
import { countClusterRateLimits } from './lib/rate-limit';
import { WorkerSupervisor } from './lib/worker-supervisor';

/**
 * Beyond SHUTDOWN_TIMEOUT_SECONDS, which each worker keeps itself (exiting 1), the primary waits this
 * long for their exits before it ends them.
 */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * The primary of a cluster (WORKERS>1): it serves no HTTP itself. It forks the workers (the first
 * alone, see WorkerSupervisor) and replaces those that exit; counts every worker's rate limits
 * unless REDIS_URL shares them; serves METRICS_PORT with the workers' metrics summed; and on
 * SIGTERM/SIGINT asks every worker to shut down gracefully, exiting 0 once all exited cleanly and
 * 1 otherwise (a worker failed or timed out, or workers kept failing to start). A second signal
 * ends the workers and exits 1 at once. Its log lines carry `worker: 0`.
 */
export async function runPrimary(config: Config): Promise<void> {
  const started = performance.now();
  // Before any worker creates anything (see main.ts).
  await assertPortFree(config.host, config.port);
  const log = pino(loggerOptions(config.logLevel, undefined, 0) as pino.LoggerOptions);
  // Without Redis, one budget for the machine rather than one per worker.
  if (!config.redis) countClusterRateLimits();

  const metrics = config.metrics ? new ClusterMetrics(() => supervisor.serving()) : undefined;
  const supervisor = new WorkerSupervisor({
    count: config.workers,
    log,
    onUnexpectedExit: () => metrics?.workerExited(),
    onGiveUp: () => void shutDown('start failures', { failed: true }),
  });
  const metricsServer = metrics && config.metrics ? await startMetricsServer(metrics, { ...config.metrics, log }) : undefined;

  log.info({ workers: config.workers, rateLimits: config.redis ? 'redis' : 'primary' }, 'apiauth primary started');
  supervisor.start();
  void supervisor.ready.then(() =>
    log.info({ workers: config.workers, startupMs: Math.round(performance.now() - started) }, 'workers ready'),
  );

  let stopping = false;
  async function shutDown(signal: string, { failed = false } = {}): Promise<void> {
    if (stopping) {
      if (failed) return;
      log.warn({ signal }, 'second signal: exiting now');
      supervisor.kill();
      process.exit(1);
    }
    stopping = true;
    const begun = performance.now();
    const { shutdownTimeoutSeconds: timeoutSeconds, shutdownDelaySeconds: delaySeconds } = config;
    log.info({ signal, timeoutSeconds, delaySeconds, workers: supervisor.serving().length }, 'shutting down');
    setTimeout(
      () => {
        log.error({ timeoutSeconds }, 'shutdown timed out: exiting');
        supervisor.kill();
        process.exit(1);
      },
      timeoutSeconds * 1000 + SHUTDOWN_GRACE_MS,
    );
    const cleanly = (await supervisor.stop(signal)) && !failed;
    await metricsServer?.close();
    if (cleanly) log.info({ ms: Math.round(performance.now() - begun) }, 'shutdown complete');
    else log.error({ ms: Math.round(performance.now() - begun) }, 'shutdown complete, not cleanly: exiting with 1');
    process.exit(cleanly ? 0 : 1);
  }
  process.on('SIGTERM', () => void shutDown('SIGTERM'));
  process.on('SIGINT', () => void shutDown('SIGINT'));
}
