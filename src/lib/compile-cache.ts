import nodeModule from 'node:module';
import path from 'node:path';

/** Node's `module.enableCompileCache` (Node ≥ 22.1; absent from Node 20 and its types). */
export type EnableCompileCache = (directory: string) => { status: number; message?: string; directory?: string };

/**
 * V8's code cache for the modules loaded from here on (Node ≥ 22.1), in `DATA_DIR/compile-cache`:
 * a restart then reads compiled code instead of compiling the service's dependencies again
 * (compiling is about a fifth of a restart's main thread). In DATA_DIR, beside master.key, and not
 * Node's default under the shared temporary directory: the cache is code this process runs, so it
 * lives where only the service writes. Node checks each entry against its source and its own
 * version; `NODE_DISABLE_COMPILE_CACHE=1` keeps it off, and a directory it cannot create leaves it
 * off. Node 20 has no such cache (`enable` null): nothing happens there.
 * Returns the directory in use, or why there is none.
 */
export function enableCompileCache(
  dataDir: string,
  enable: EnableCompileCache | null = (nodeModule as { enableCompileCache?: EnableCompileCache }).enableCompileCache ?? null,
): { directory: string } | { off: string } {
  if (!enable) return { off: `Node.js ${process.versions.node} has no compile cache` };
  const { directory, message } = enable(path.join(dataDir, 'compile-cache'));
  // Node answers a directory when the cache is on (enabled now, or already by NODE_COMPILE_CACHE).
  return directory ? { directory } : { off: message ?? 'off' };
}
