/**
 * The embedded database's thread (startEmbeddedPostgres with `thread`, src/db/embedded-postgres.ts):
 * copies the template into a directory that holds no database yet, starts PGlite on it behind the
 * socket server, answers with its address, and stops on the first message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { seedFromTemplate } from './embedded-template-copy';

export interface ThreadData {
  dataDir: string;
  templateDir?: string;
  maxConnections: number;
}

/** What the thread tells the service. */
export type ThreadMessage = { kind: 'ready'; address: string } | { kind: 'failed'; message: string };

async function run(port: NonNullable<typeof parentPort>, data: ThreadData): Promise<void> {
  seedFromTemplate(data.dataDir, data.templateDir);
  const db = await PGlite.create({ dataDir: data.dataDir });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: data.maxConnections });
  await server.start();
  port.once('message', async () => {
    await server.stop();
    await db.close();
    port.close();
  });
  port.postMessage({ kind: 'ready', address: server.getServerConn() } satisfies ThreadMessage);
}

if (parentPort) {
  const port = parentPort;
  run(port, workerData as ThreadData).catch((error: unknown) => {
    port.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies ThreadMessage);
    port.close();
  });
}
