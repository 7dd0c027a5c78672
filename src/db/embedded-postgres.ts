import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Connections the embedded server accepts: the service's pool (EMBEDDED_POOL_SIZE), its LISTEN
 * connection, and a few for tools and tests.
 */
export const EMBEDDED_MAX_CONNECTIONS = 8;

/**
 * One pooled connection for the embedded database. PGlite is a single session: the socket server
 * keeps transactions apart, but outside a transaction it interleaves the extended-protocol
 * messages (Parse/Bind/Execute) of concurrent connections, which breaks their unnamed portals
 * ("portal does not exist", wrong rows). One connection serializes statements as PGlite does anyway.
 */
export const EMBEDDED_POOL_SIZE = 1;

export interface EmbeddedPostgres {
  /** A postgres:// URL reaching the embedded database over loopback. */
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite behind the Postgres wire protocol on a loopback port, so the service reaches it through
 * the same `pg` driver, pool and migrations as a real PostgreSQL. (`typeorm-pglite` shares one
 * session across connections, which mixes transactions; the socket server keeps them apart.)
 *
 * `dataDir` undefined means in memory; `template` is a `dumpDataDir()` tarball to start from.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; template?: Blob }): Promise<EmbeddedPostgres> {
  if (options.dataDir) fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.template,
  });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: EMBEDDED_MAX_CONNECTIONS,
  });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
