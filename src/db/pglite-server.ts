import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface ServedPGlite {
  /** host:port of the socket server on loopback. */
  address: string;
  /** Stops the socket server, then closes PGlite (a clean shutdown of its files). */
  stop(): Promise<void>;
}

/**
 * PGlite on `dataDir` (undefined: in memory; `template`: a `dumpDataDir()` tarball to start from)
 * behind the Postgres wire protocol on a loopback port: in this thread or in the database's own
 * (embedded-postgres.ts, embedded-postgres-thread.ts).
 */
export async function servePGlite(options: { dataDir?: string; template?: Blob; maxConnections: number }): Promise<ServedPGlite> {
  const db = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.template });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections });
  await server.start();
  return {
    address: server.getServerConn(),
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
