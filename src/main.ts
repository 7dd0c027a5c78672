import './v8-flags';
import 'reflect-metadata';
import cluster from 'node:cluster';
import { performance } from 'node:perf_hooks';
import { Config, ConfigError, loadConfig } from './config';
import { assertPortFree } from './lib/port-free';
import { isShutdownMessage } from './lib/worker-supervisor';
import fs from 'node:fs';
import path from 'node:path';
import { openEmbeddedDatabase } from './db/embedded-database';
import { keyPairsAhead } from './crypto/key-pairs-ahead';
import { BUILTIN_API_ALGORITHM } from './domain/management/builtin-algorithm';
import { enableCompileCache } from './lib/compile-cache';

/**
 * Composition root: config → tracing → database → keys → HTTP server. With WORKERS>1 this process
 * is the cluster's primary (src/primary.ts), and each worker it forks runs this file again and
 * serves. The app (and the primary) are imported only once the configuration is read: with
 * tracing on, src/tracing.ts must come first so its instrumentations see `http` and `pg` load;
 * with it off, no OpenTelemetry module is loaded at all.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  if (config.workers > 1 && cluster.isPrimary) return (await import('./primary.js')).runPrimary(config);
  await serve(config, cluster.isWorker ? cluster.worker?.id : undefined);
}

/** Serves HTTP in this process: the only one (WORKERS=1), or cluster worker `worker`. */
async function serve(config: Config, worker: number | undefined): Promise<void> {
  const started = performance.now();
  // The primary's request to shut down (sent to every worker when it receives SIGTERM/SIGINT): heard
  // from the start, acted on once the worker serves. (Should the primary die, node:cluster ends its
  // workers at once: none is left behind.)
  let stopAsked: string | undefined;
  let onStopAsked = (reason: string) => void (stopAsked ??= reason);
  if (worker !== undefined) {
    process.on('message', (message) => {
      if (isShutdownMessage(message)) onStopAsked(message.signal);
    });
  }

  // A cluster's workers share the port the primary holds; a single process checks it before it
  // creates anything (database, keys, a management client).
  if (worker === undefined) await assertPortFree(config.host, config.port);
  // Before the service's code loads (below): on Node ≥ 22.1 a restart reads it compiled.
  const compileCache = enableCompileCache(config.dataDir);
  const tracing = config.tracing
    ? (await import('./tracing.js')).startTracing(config.tracing, { metricsPort: config.metrics?.port })
    : undefined;
  // The embedded database opens in its own thread while this one loads the service's code; on a
  // first start, the built-in APIs' keys (a current and a next one) are generated meanwhile too.
  const embedded = config.databaseUrl === undefined;
  const firstStart = embedded && !fs.existsSync(path.join(config.dataDir, 'pgdata', 'PG_VERSION'));
  const keyPairs = firstStart ? keyPairsAhead(BUILTIN_API_ALGORITHM, 2) : undefined;
  const embeddedDatabase = embedded ? openEmbeddedDatabase(config.dataDir, { thread: true }) : undefined;
  // Awaited by createApp; a failure before that (a start that fails first) is not also an unhandled rejection.
  embeddedDatabase?.catch(() => undefined);
  const { createApp } = await import('./app.js');
  const app = await createApp(config, { clusterWorker: worker === undefined ? undefined : { id: worker }, embeddedDatabase, keyPairs });
  const log = app.http.log;
  // Graceful shutdown, heard from before the listener opens (a signal during the start still shuts
  // down cleanly): /readyz answers 503 at once (and for SHUTDOWN_DELAY_SECONDS while load
  // balancers notice), then the listener closes, requests in flight finish, the database closes.
  // Past SHUTDOWN_TIMEOUT_SECONDS, or on a second signal, the process exits with 1 at once. A
  // worker's signal and its primary's request are one request (Ctrl-C signals both): only a
  // second signal exits at once.
  let stopping = false;
  // What the start does once listening (the first credentials, the setup link): a shutdown lets it
  // finish first, so a secret created is also shown, and its database is not closed under it.
  let banner: Promise<unknown> = Promise.resolve();
  const stop = async (signal: string, { fromPrimary = false } = {}) => {
    if (stopping) {
      if (fromPrimary) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    const begun = performance.now();
    const { shutdownTimeoutSeconds: timeoutSeconds, shutdownDelaySeconds: delaySeconds } = config;
    log.info({ signal, timeoutSeconds, delaySeconds }, 'shutting down');
    setTimeout(() => {
      log.error({ timeoutSeconds }, 'shutdown timed out: exiting');
      process.exit(1);
    }, timeoutSeconds * 1000);
    app.beginShutdown();
    if (delaySeconds > 0) await new Promise((resolve) => setTimeout(resolve, delaySeconds * 1000));
    try {
      await banner.catch(() => undefined);
      await app.close();
      // Last: the spans of the requests that just finished are exported too.
      await tracing?.shutdown();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    log.info({ ms: Math.round(performance.now() - begun) }, 'shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  onStopAsked = (reason) => void stop(reason, { fromPrimary: true });
  if (stopAsked !== undefined) onStopAsked(stopAsked);
  if (stopping) return;

  try {
    await app.http.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
    throw error;
  }
  log.info(
    {
      issuer: config.issuer,
      database: app.database.embedded ? `embedded (${config.dataDir})` : 'postgresql',
      startupMs: Math.round(performance.now() - started),
      compileCache: 'directory' in compileCache ? compileCache.directory : `off (${compileCache.off})`,
    },
    'apiauth ready',
  );
  banner = (async () => {
    const { printAdminSetupLink, printManagementCredentials, printWhatNext } = await import('./credentials-banner.js');
    // Made only now that the service listens: its secret is shown at once, or the start failed before it existed.
    const created = config.bootstrapClient ? undefined : await app.createFirstManagementClient();
    // Likewise the link that sets the first administrator; one worker makes it (each new link voids the previous).
    const setupToken = !config.bootstrapAdmin && (worker === undefined || worker === 1) ? await app.createAdminSetupToken() : undefined;
    if (created) printManagementCredentials(config, created);
    else if (worker === undefined || worker === 1) printWhatNext(config);
    if (setupToken) printAdminSetupLink(config, setupToken);
  })();
  await banner;
}

main().catch((error) => {
  console.error('apiauth failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
