import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import nodeModule from 'node:module';
import path from 'node:path';
import { enableCompileCache, EnableCompileCache } from '../../src/lib/compile-cache';
import { DATA_ROOT } from '../helpers/data-root';

const BUILT = path.resolve(__dirname, '../../dist/src/lib/compile-cache.js');
/** A module of the service loaded once the cache is on: Node writes its compiled code at exit. */
const LOADED_AFTER = path.resolve(__dirname, '../../dist/src/lib/uri.js');

/** The cache lives in DATA_DIR/compile-cache, on the Node versions that have one, and never elsewhere. */
describe('compile cache', () => {
  const root = fs.mkdtempSync(path.join(DATA_ROOT, 'apiauth-compile-cache-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('asks Node for DATA_DIR/compile-cache and reports the directory Node uses', () => {
    const asked: string[] = [];
    const enable: EnableCompileCache = (directory) => {
      asked.push(directory);
      return { status: 1, directory: `${directory}/v22-x64` };
    };
    expect(enableCompileCache('/srv/apiauth', enable)).toEqual({ directory: '/srv/apiauth/compile-cache/v22-x64' });
    expect(asked).toEqual(['/srv/apiauth/compile-cache']);
  });

  it("reports Node's reason when the cache stays off (a directory it cannot create, NODE_DISABLE_COMPILE_CACHE)", () => {
    const failed: EnableCompileCache = () => ({ status: 0, message: 'Cannot create cache directory: not a directory' });
    expect(enableCompileCache('/srv/apiauth', failed)).toEqual({ off: 'Cannot create cache directory: not a directory' });
    const disabled: EnableCompileCache = () => ({ status: 3, message: 'Disabled by NODE_DISABLE_COMPILE_CACHE' });
    expect(enableCompileCache('/srv/apiauth', disabled)).toEqual({ off: 'Disabled by NODE_DISABLE_COMPILE_CACHE' });
  });

  it('does nothing on a Node without the cache (Node 20)', () => {
    expect(enableCompileCache('/srv/apiauth', null)).toEqual({ off: `Node.js ${process.versions.node} has no compile cache` });
  });

  // The running Node, in a process of its own (enabling the cache here would change this worker):
  // on Node ≥ 22.1 the compiled code of a module loaded next is written under DATA_DIR; on Node 20
  // nothing is created at all.
  it('with the running Node: under DATA_DIR when Node has the cache, nothing created when not', () => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
    const dataDir = path.join(root, 'data');
    const script = `
      const result = require(${JSON.stringify(BUILT)}).enableCompileCache(${JSON.stringify(dataDir)});
      require(${JSON.stringify(LOADED_AFTER)});
      process.stdout.write(JSON.stringify(result));`;
    // Node's own switches left out: the cache is the one this module enables.
    const { NODE_COMPILE_CACHE: _cache, NODE_DISABLE_COMPILE_CACHE: _disabled, ...env } = process.env;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout);
    const hasCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
    if (hasCache) {
      const cacheRoot = path.join(dataDir, 'compile-cache');
      expect(path.relative(cacheRoot, result.directory).startsWith('..')).toBe(false);
      const files = (fs.readdirSync(cacheRoot, { recursive: true }) as string[]).filter((name) =>
        fs.statSync(path.join(cacheRoot, name)).isFile(),
      );
      expect(files.length).toBeGreaterThan(0);
    } else {
      expect(result).toEqual({ off: `Node.js ${process.versions.node} has no compile cache` });
      expect(fs.existsSync(dataDir)).toBe(false);
    }
  });
});
