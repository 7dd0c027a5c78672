import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config';
import { printManagementCredentials } from './credentials-banner';
import { openDatabase } from './db/database';
import { DataDirInUseError } from './db/data-dir-lock';
import { PgChangeFeed } from './db/pg-change-feed';
import { AuditLog } from './domain/audit/audit-log';
import { ClientService } from './domain/client/client.service';
import { entities } from './domain/entities';
import { bootstrapManagement, createFirstManagementClient, findGeneratedManagementClient } from './domain/management/bootstrap';
import { systemClock } from './lib/clock';
import { userinfoUrl } from './oauth/userinfo-url';

/**
 * `apiauth`: commands run where the service runs, against its configuration and database (the same
 * environment variables as `npm start`). Exit codes: 0 done, 1 failed, 2 bad usage or configuration.
 */
const USAGE = `Usage: apiauth <command> [options]

Commands:
  admin reset-credentials   Gives the management client that the first start generated a new
                            secret, ends its old one, and prints the new credentials once. Reads the
                            service's configuration (DATABASE_URL or DATA_DIR, ISSUER, ...). On the
                            embedded database, stop the service first.

Options:
  -h, --help                Show this help.
`;

/** What `admin reset-credentials` does; the credentials shown once. */
async function resetCredentials(): Promise<number> {
  const config = loadConfig();
  if (config.bootstrapClient) {
    console.error('The management client is configured by BOOTSTRAP_CLIENT_ID and BOOTSTRAP_CLIENT_SECRET: change the secret there.');
    return 1;
  }
  const database = await openDatabase(config, { entities });
  try {
    const { dataSource } = database;
    // Instances serving the same PostgreSQL hear the change (NOTIFY) and drop the cached client.
    const changes = new PgChangeFeed(() => undefined);
    dataSource.subscribers.push(changes);
    await bootstrapManagement(dataSource, changes, {
      issuer: config.issuer,
      audience: config.managementAudience,
      userinfoAudience: userinfoUrl(config.issuer),
    });
    const existing = await findGeneratedManagementClient(dataSource);
    if (!existing) {
      const created = await createFirstManagementClient(dataSource, changes);
      if (!created) {
        console.error('No generated management client exists, and other clients hold Management API grants: use one of them.');
        return 1;
      }
      printManagementCredentials(config, created);
      return 0;
    }
    const clients = new ClientService(dataSource, changes, new AuditLog(dataSource), systemClock);
    const actor = { subject: 'apiauth admin reset-credentials', clientId: null, requestId: null };
    const { secret } = await clients.rotateSecret(existing.id, { previousSecretExpiresIn: 0 }, actor);
    printManagementCredentials(config, { clientId: existing.clientId, clientSecret: secret });
    return 0;
  } finally {
    await database.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(USAGE);
    return command === '' && !values.help ? 2 : 0;
  }
  if (command === 'admin reset-credentials') return resetCredentials();
  process.stderr.write(`apiauth: unknown command "${command.slice(0, 100)}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    if (error instanceof DataDirInUseError) {
      console.error(`apiauth: ${error.message}`);
      process.exit(1);
    }
    // parseArgs: an unknown option.
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`apiauth: ${(error as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error('apiauth:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
