import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { ConfigError, loadConfig } from './config';
import { createApp } from './app';
import { endpointUrl } from './lib/issuer-url';

/** Composition root: config → database → keys → HTTP server. */
async function main(): Promise<void> {
  const started = performance.now();
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
  const app = await createApp(config);
  await app.http.listen({ port: config.port, host: config.host });
  const log = app.http.log;
  log.info(
    {
      issuer: config.issuer,
      database: app.database.embedded ? `embedded (${config.dataDir})` : 'postgresql',
      startupMs: Math.round(performance.now() - started),
    },
    'apiauth ready',
  );
  if (app.bootstrap.createdClient) printBootstrapCredentials(config.issuer, config.managementAudience, app.bootstrap.createdClient);

  // Graceful shutdown: /readyz answers 503 at once (and for SHUTDOWN_DELAY_SECONDS while load
  // balancers notice), then the listener closes, requests in flight finish, the database closes.
  // Past SHUTDOWN_TIMEOUT_SECONDS, or on a second signal, the process exits with 1 at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
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
      await app.close();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    log.info({ ms: Math.round(performance.now() - begun) }, 'shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Printed once, on the first start, to the terminal (not the structured log). */
function printBootstrapCredentials(issuer: string, audience: string, client: { clientId: string; clientSecret: string }): void {
  process.stdout.write(
    [
      '',
      '================ Management API credentials (shown once) ================',
      `client_id:     ${client.clientId}`,
      `client_secret: ${client.clientSecret}`,
      '',
      'Get a management token:',
      `  curl -s -u '${client.clientId}:${client.clientSecret}' \\`,
      `    -d grant_type=client_credentials -d 'audience=${audience}' \\`,
      `    ${endpointUrl(issuer, '/oauth/token')}`,
      '=========================================================================',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error('apiauth failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
