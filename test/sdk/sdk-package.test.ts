import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BOOTSTRAP, startTestServer, TestServer } from '../helpers/test-app';
import { spawnNode } from '../helpers/service-process';
import { MANAGEMENT_SCOPES } from '../../src/domain/management-scopes';

const ROOT = path.resolve(__dirname, '../..');
const SDK = path.join(ROOT, 'sdk');
const QUICKSTARTS = ['quickstart.mjs', 'quickstart.cjs'];

/** npm as a user runs it: without the npm_* variables and NODE_OPTIONS of the Jest run around it. */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'NODE_OPTIONS'));
const run = promisify(execFile);
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: userEnv });

/** The fenced blocks that follow each link to `[sdk/]examples/<file>` ending in a colon, in a README. */
function blocksShowing(readme: string, file: string): string[] {
  const link = '\\[`(?:sdk/)?examples/' + file.replace('.', '\\.') + '`\\]\\([^)]*\\):';
  return [...readme.matchAll(new RegExp(link + '\\n\\n```js\\n([\\s\\S]*?)```\\n', 'g'))].map((match) => match[1]);
}

describe('the SDK as a package: packed, installed into a fresh project, its README snippets run by plain node', () => {
  let work: string;
  let project: string;
  let packed: { filename: string; files: { path: string }[] };
  let installed: { stdout: string; stderr: string };
  let server: TestServer;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'apiauth-sdk-'));
    await npm(['run', 'build:sdk'], ROOT);
    // Built just above: --ignore-scripts skips the prepack that would build it again.
    [packed] = JSON.parse((await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], SDK)).stdout);

    project = path.join(work, 'project');
    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'sdk-user', version: '1.0.0', private: true }));
    installed = await npm(['install', path.join(work, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], project);
    for (const file of QUICKSTARTS) await copyFile(path.join(SDK, 'examples', file), path.join(project, file));

    server = await startTestServer();
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Runs a quickstart as the README says, with the tour's variables set for the test server. */
  async function runQuickstart(file: string, clientSecret = BOOTSTRAP.clientSecret) {
    const node = spawnNode(path.join(project, file), [], { AS: server.url, CLIENT_ID: BOOTSTRAP.clientId, CLIENT_SECRET: clientSecret });
    const code = await node.closed;
    return { code, stdout: node.stdout(), stderr: node.stderr() };
  }

  it('the READMEs show the quickstart files verbatim', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const sdkReadme = await readFile(path.join(SDK, 'README.md'), 'utf8');
    const source = (file: string) => readFile(path.join(SDK, 'examples', file), 'utf8');
    for (const file of QUICKSTARTS) expect(blocksShowing(readme, file)).toEqual([await source(file)]);
    // The package's own README shows the ES module one.
    expect(blocksShowing(sdkReadme, 'quickstart.mjs')).toEqual([await source('quickstart.mjs')]);
  });

  it('packs the builds and their declarations only, and installs with graphql and the typed-document types alone', async () => {
    const files = packed.files.map((file) => file.path).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'package.json',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/esm/index.js',
        'dist/esm/index.d.ts',
        'dist/esm/package.json',
      ]),
    );
    expect(files.filter((file) => !/^dist\/(cjs|esm)\//.test(file))).toEqual(['README.md', 'package.json']);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);

    const lock = JSON.parse(await readFile(path.join(project, 'package-lock.json'), 'utf8'));
    expect(Object.keys(lock.packages).sort()).toEqual([
      '',
      'node_modules/@apiauth/sdk',
      'node_modules/@graphql-typed-document-node/core',
      'node_modules/graphql',
    ]);
    expect(lock.packages['node_modules/graphql'].version).toMatch(/^16\./);
    // No EBADENGINE on this Node.js, no peer-dependency conflict.
    expect(installed.stderr).not.toMatch(/\bwarn/i);
  });

  it('ESM: the quickstart gets a management token and lists the APIs, as the server has them', async () => {
    const { code, stdout, stderr } = await runQuickstart('quickstart.mjs');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const { body } = await server.gql('{ resourceServers(first: 10) { nodes { name identifier tokenLifetime scopes { value } } } }');
    const apis: { name: string; identifier: string; tokenLifetime: number; scopes: unknown[] }[] = body.data.resourceServers.nodes;
    const managementApi = apis.find((api) => api.identifier === server.app.config.managementAudience);
    expect(managementApi).toBeDefined();
    expect(stdout).toBe(
      [
        `token for ${Object.keys(MANAGEMENT_SCOPES).length} scopes, expires in ${managementApi!.tokenLifetime} s`,
        ...apis.map((api) => `${api.name}: ${api.identifier} (${api.scopes.length} scopes)`),
        '',
      ].join('\n'),
    );
  });

  it('CommonJS: the quickstart creates its API on the first run and finds it on the next', async () => {
    const first = await runQuickstart('quickstart.cjs');
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    const { body } = await server.gql('{ resourceServer(identifier: "https://reports.example/") { id name scopes { value } } }');
    const api = body.data.resourceServer;
    expect(api).toEqual({ id: expect.any(String), name: 'Reports', scopes: [{ value: 'read:reports' }] });
    expect(first.stdout).toBe(`created: Reports ${api.id}\n`);

    const second = await runQuickstart('quickstart.cjs');
    expect(second).toEqual({ code: 0, stdout: `exists: Reports ${api.id}\n`, stderr: '' });
  });

  it('CommonJS: a refused token request ends the quickstart with the token endpoint’s message', async () => {
    const refused = await runQuickstart('quickstart.cjs', 'not-the-secret');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^token endpoint: HTTP 401 invalid_client: .+\n$/);
  });

  it('TypeScript resolves the installed declarations: the ES module build from .mts, the CommonJS build from .cts', async () => {
    const check = [
      `import { createManagementClient, ResourceServersDocument, type ResourceServersQuery } from '@apiauth/sdk';`,
      `const management = createManagementClient({ url: 'http://localhost:4000/graphql', token: 'a token' });`,
      `export const page: Promise<ResourceServersQuery> = management.request(ResourceServersDocument, { first: 1 });`,
      `// @ts-expect-error: typed variables (first is an Int), so not \`any\``,
      `management.request(ResourceServersDocument, { first: 'ten' });`,
      '',
    ].join('\n');
    for (const file of ['check.mts', 'check.cts']) await writeFile(path.join(project, file), check);
    // skipLibCheck: the package's declarations must resolve and type the calls, but checking every
    // .d.ts (graphql's, the DOM's) would double the time.
    const compilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: 'node16',
      target: 'es2022',
      lib: ['es2022', 'dom'],
      types: [],
    };
    await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['check.mts', 'check.cts'] }));

    const tsc = require.resolve('typescript/bin/tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', project, '--listFiles'], { env: userEnv });
    const sdkFiles = stdout.split('\n').filter((file) => file.includes('node_modules/@apiauth/sdk/'));
    expect(sdkFiles.map((file) => file.slice(file.indexOf('dist/'))).sort()).toEqual(
      ['cjs', 'esm'].flatMap((build) => ['client', 'generated/graphql', 'index', 'token'].map((name) => `dist/${build}/${name}.d.ts`)),
    );
  });
});
