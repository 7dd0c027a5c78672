import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config';
import { printManagementCredentials } from '../credentials-banner';
import { openDatabase } from '../db/database';
import { DataDirInUseError } from '../db/data-dir-lock';
import { PgChangeFeed } from '../db/pg-change-feed';
import { changeChannel } from '../db/schema-scoped';
import { AuditLog } from '../domain/audit/audit-log';
import { ClientService } from '../domain/client/client.service';
import { entities } from '../domain/entities';
import { bootstrapManagement, createFirstManagementClient, findGeneratedManagementClient } from '../domain/management/bootstrap';
import { systemClock } from '../lib/clock';
import { userinfoUrl } from '../oauth/userinfo-url';
import { CommandFailedError, UsageError } from './errors';

/**
 * `apiauth admin reset-credentials`: works on the service's database, not through the Management
 * API (the one CLI command below the management layer). Gives the generated management client a
 * new secret, ending the old one, and prints it once.
 */
export async function resetCredentials(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    throw error instanceof ConfigError ? new UsageError(error.message) : error;
  }
  if (config.bootstrapClient) {
    throw new CommandFailedError(
      'The management client is configured by BOOTSTRAP_CLIENT_ID and BOOTSTRAP_CLIENT_SECRET: change the secret there.',
    );
  }
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase(config, { entities });
  } catch (error) {
    throw error instanceof DataDirInUseError ? new CommandFailedError(error.message) : error;
  }
  try {
    const { dataSource } = database;
    // Instances serving the same PostgreSQL hear the change (NOTIFY) and drop the cached client.
    const changes = new PgChangeFeed(await changeChannel(dataSource), () => undefined);
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
        throw new CommandFailedError(
          'No generated management client exists, and other clients hold Management API grants: use one of them.',
        );
      }
      printManagementCredentials(config, created);
      return;
    }
    const clients = new ClientService(dataSource, changes, new AuditLog(dataSource), systemClock);
    const actor = { subject: 'apiauth admin reset-credentials', clientId: null, requestId: null };
    const { secret } = await clients.rotateSecret(existing.id, { previousSecretExpiresIn: 0 }, actor);
    printManagementCredentials(config, { clientId: existing.clientId, clientSecret: secret });
  } finally {
    await database.close();
  }
}
