import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { ConfigError, loadConfig } from './config';
import { createApp } from './app';

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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000).unref();
    await app.close();
    clearTimeout(timer);
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
      `    ${issuer}/oauth/token`,
      '=========================================================================',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error('apiauth failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
