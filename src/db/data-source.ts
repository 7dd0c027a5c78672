import 'reflect-metadata';
import { DataSource, Logger } from 'typeorm';
import { entities } from './entities';
import { migrations } from './migrations';

/** Connections per instance; the embedded server accepts more (EMBEDDED_MAX_CONNECTIONS). */
export const POOL_SIZE = 10;

export function createDataSource(url: string, options: { logger?: Logger; poolSize?: number } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    // gen_random_uuid() is built in (PostgreSQL 13+, PGlite); uuid-ossp is not available in PGlite.
    uuidExtension: 'pgcrypto',
    synchronize: false,
    logging: options.logger ? ['query', 'error'] : false,
    logger: options.logger,
    extra: { max: options.poolSize ?? POOL_SIZE, connectionTimeoutMillis: 10_000 },
  });
}
