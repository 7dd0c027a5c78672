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

/** How long the service waits on the database before answering 503 instead of hanging. */
export interface DatabaseTimeouts {
  /** Longest a statement may run, ms (server-side statement_timeout, and client-side for a dead connection); 0: no limit. */
  statementMs: number;
  /** Longest wait for a connection, ms. */
  connectMs: number;
}

/** No statement limit (migrations, the CLI), the default connection wait. */
const NO_TIMEOUTS: DatabaseTimeouts = { statementMs: 0, connectMs: 10_000 };

/** `entities`: every entity class (src/domain/entities.ts); db/ itself knows none. */
export function createDataSource(
  url: string,
  options: { entities: DataSourceOptions['entities']; logger?: Logger; poolSize?: number; timeouts?: DatabaseTimeouts },
): DataSource {
  const timeouts = options.timeouts ?? NO_TIMEOUTS;
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
      connectionTimeoutMillis: timeouts.connectMs,
      ...(timeouts.statementMs > 0
        ? // The server cancels a long statement; the client gives up on a connection that went silent (network down).
          { statement_timeout: timeouts.statementMs, query_timeout: timeouts.statementMs + 1000 }
        : {}),
      onConnect: (client: EventEmitter) => {
        client.on('notification', (message: Notification) => notifications.emit('notification', message));
      },
    },
  });
  poolNotifications.set(dataSource, notifications);
  return dataSource;
}
