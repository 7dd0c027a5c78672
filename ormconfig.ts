/**
 * The DataSource the TypeORM CLI uses (migration:generate, migration:revert). It needs a running
 * PostgreSQL: DATABASE_URL=postgres://… npx typeorm migration:revert -d dist/ormconfig.js
 */
import { createDataSource } from './src/db/data-source';
import { entities } from './src/domain/entities';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL to run the TypeORM CLI');

export default createDataSource(url, { entities });
