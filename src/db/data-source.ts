import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { DataSource, DataSourceOptions, Logger } from 'typeorm';
import type { Notification } from 'pg';
import { migrations } from './migrations';

/** Connections per instance; the embedded server accepts more (EMBEDDED_MAX_CONNECTIONS). */
export const POOL_SIZE = 10;

/**
 * NOTIFY messages that arrive on pool connections. PostgreSQL sends them only to the LISTEN
 * connection, but the embedded PGlite is one session shared by all connections and hands them to
 * whichever connection committed: listening here makes both work (see change-listener.ts).
 */
export const poolNotifications = new WeakMap<DataSource, EventEmitter>();

/** `entities`: every entity class (src/domain/entities.ts); db/ itself knows none. */
export function createDataSource(
  url: string,
  options: { entities: DataSourceOptions['entities']; logger?: Logger; poolSize?: number },
): DataSource {
  const notifications = new EventEmitter();
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities: options.entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    // gen_random_uuid() is built in (PostgreSQL 13+, PGlite); uuid-ossp is not available in PGlite.
    uuidExtension: 'pgcrypto',
    synchronize: false,
    logging: options.logger ? ['query', 'error'] : false,
    logger: options.logger,
    extra: {
      max: options.poolSize ?? POOL_SIZE,
      connectionTimeoutMillis: 10_000,
      onConnect: (client: EventEmitter) => {
        client.on('notification', (message: Notification) => notifications.emit('notification', message));
      },
    },
  });
  poolNotifications.set(dataSource, notifications);
  return dataSource;
}
