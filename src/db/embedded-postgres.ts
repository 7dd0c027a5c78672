import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ThreadData, ThreadMessage } from './embedded-postgres-thread';
import { seedFromTemplate } from './embedded-template-copy';

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

const urlOf = (address: string) => `postgres://postgres@${address}/postgres?sslmode=disable`;

/**
 * PGlite behind the Postgres wire protocol on a loopback port, so the service reaches it through
 * the same `pg` driver, pool and migrations as a real PostgreSQL. (`typeorm-pglite` shares one
 * session across connections, which mixes transactions; the socket server keeps them apart.)
 *
 * `dataDir` undefined means in memory; `template` is a `dumpDataDir()` tarball to start from. A
 * `dataDir` that holds no database yet gets a copy of the template directory first
 * (seedFromTemplate; `templateDir`, default the build's). `thread`: in a thread of its own
 * (startEmbeddedPostgresThread), which makes that copy there, else in this one.
 */
export async function startEmbeddedPostgres(options: {
  dataDir?: string;
  template?: Blob;
  thread?: boolean;
  templateDir?: string;
}): Promise<EmbeddedPostgres> {
  if (options.dataDir) fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  if (options.thread) {
    if (!options.dataDir || options.template) throw new Error('a database thread runs on a data directory, not in memory or from a dump');
    return startEmbeddedPostgresThread({
      dataDir: options.dataDir,
      templateDir: options.templateDir,
      maxConnections: EMBEDDED_MAX_CONNECTIONS,
    });
  }
  if (options.dataDir) seedFromTemplate(options.dataDir, options.templateDir);
  // Loaded on first use: the service's start runs the database in its thread and needs none of it here.
  const { servePGlite } = await import('./pglite-server.js');
  const served = await servePGlite({ dataDir: options.dataDir, template: options.template, maxConnections: EMBEDDED_MAX_CONNECTIONS });
  return { url: urlOf(served.address), stop: () => served.stop() };
}

/**
 * The embedded database in a thread of its own (the service's start, src/main.ts): its work
 * (WebAssembly and the file system it runs on) uses another core than the event loop serving
 * requests, and the template copy and PGlite's start happen while the service loads the rest of its
 * code. The thread runs the compiled embedded-postgres-thread.js, so only from the build. Tests start
 * many small databases in-process instead: a thread loads PGlite and compiles its WebAssembly anew
 * each time.
 */
async function startEmbeddedPostgresThread(data: ThreadData): Promise<EmbeddedPostgres> {
  const file = path.join(__dirname, 'embedded-postgres-thread.js');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: the database thread runs from the build (npm run build)`);
  const thread = new Worker(file, { workerData: data });
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  const started = await new Promise<ThreadMessage>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
    void exited.then(() => reject(new Error('the embedded database stopped while starting')));
  });
  if (started.kind === 'failed') {
    await exited;
    throw new Error(started.message);
  }
  // The database failing once serving is the service failing, as when it ran in this thread.
  const crash = (error: Error) => {
    throw error;
  };
  thread.on('error', crash);
  return {
    url: urlOf(started.address),
    async stop() {
      thread.off('error', crash);
      thread.postMessage('stop');
      await exited;
    },
  };
}
