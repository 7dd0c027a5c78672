import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'typeorm';
import { DATA_ROOT } from '../helpers/data-root';
import { openDatabase } from '../../src/db/database';
import { buildEmbeddedTemplate } from '../../src/db/embedded-template';
import { migrations } from '../../src/db/migrations';
import { entities } from '../../src/domain/entities';

/**
 * The embedded database's first start from the build's template (src/db/embedded-template.ts): a
 * fresh DATA_DIR gets every migration from the template, an existing one is never overwritten by it.
 */
describe('embedded database template', () => {
  const root = fs.mkdtempSync(path.join(DATA_ROOT, 'apiauth-template-'));
  const templateDir = path.join(root, 'template');

  beforeAll(() => buildEmbeddedTemplate(templateDir));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Migrations the last open() ran (TypeORM logs each one it executes). */
  let ran: string[] = [];
  const logger: Logger = {
    logSchemaBuild: (message: string) => void (/executed successfully/.test(message) && ran.push(message)),
    logQuery: () => undefined,
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  const open = (dataDir: string, embeddedTemplateDir: string) => {
    ran = [];
    return openDatabase({ dataDir, databaseUrl: undefined }, { entities, embeddedTemplateDir, poolSize: 1, logger });
  };

  it('a first start copies the template: every migration is there and the service tables answer; the template stays as it was', async () => {
    const dataDir = path.join(root, 'first');
    const templateFiles = fs.readdirSync(templateDir, { recursive: true }).sort();
    // What a start that stopped while copying left beside the directory changes nothing.
    fs.mkdirSync(path.join(dataDir, 'pgdata.partial-1'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'pgdata.partial-1', 'PG_VERSION'), 'half-copied');
    const database = await open(dataDir, templateDir);
    try {
      await database.dataSource.query('CREATE TABLE written_after_start (value text)');
      const applied = await database.dataSource.query('SELECT name FROM migrations ORDER BY id');
      expect(applied.map((row: { name: string }) => row.name)).toEqual(migrations.map((migration) => migration.name));
      expect(await database.dataSource.query('SELECT count(*)::int AS n FROM clients')).toEqual([{ n: 0 }]);
      expect(ran).toEqual([]);
    } finally {
      await database.close();
    }
    expect(fs.readdirSync(path.join(dataDir, 'pgdata'))).toContain('PG_VERSION');
    // Only the service's user may read the database.
    expect(fs.statSync(path.join(dataDir, 'pgdata')).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(templateDir, { recursive: true }).sort()).toEqual(templateFiles);
  });

  it('a restart keeps what the database holds: the template is only for an empty directory', async () => {
    const dataDir = path.join(root, 'restart');
    const first = await open(dataDir, templateDir);
    await first.dataSource.query(`CREATE TABLE kept (value text)`);
    await first.dataSource.query(`INSERT INTO kept VALUES ('written after the first start')`);
    await first.close();

    const again = await open(dataDir, templateDir);
    try {
      expect(await again.dataSource.query('SELECT value FROM kept')).toEqual([{ value: 'written after the first start' }]);
    } finally {
      await again.close();
    }
  });

  it('without a template a first start creates the database and runs every migration', async () => {
    const database = await open(path.join(root, 'no-template'), path.join(root, 'missing'));
    try {
      const applied = await database.dataSource.query('SELECT count(*)::int AS n FROM migrations');
      expect(applied).toEqual([{ n: migrations.length }]);
      expect(ran).toHaveLength(migrations.length);
    } finally {
      await database.close();
    }
  });
});
