/**
 * The embedded database's thread (startEmbeddedPostgres with `thread`, src/db/embedded-postgres.ts):
 * copies the template into a directory that holds no database yet, starts PGlite on it behind the
 * socket server, answers with its address, and stops on the first message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { seedFromTemplate } from './embedded-template-copy';
import { servePGlite } from './pglite-server';

export interface ThreadData {
  dataDir: string;
  templateDir?: string;
  maxConnections: number;
}

/** What the thread tells the service. */
export type ThreadMessage = { kind: 'ready'; address: string } | { kind: 'failed'; message: string };

async function run(port: NonNullable<typeof parentPort>, data: ThreadData): Promise<void> {
  seedFromTemplate(data.dataDir, data.templateDir);
  const served = await servePGlite({ dataDir: data.dataDir, maxConnections: data.maxConnections });
  port.once('message', async () => {
    await served.stop();
    port.close();
  });
  port.postMessage({ kind: 'ready', address: served.address } satisfies ThreadMessage);
}

if (parentPort) {
  const port = parentPort;
  run(port, workerData as ThreadData).catch((error: unknown) => {
    port.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies ThreadMessage);
    port.close();
  });
}
