import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BOOTSTRAP, freePort, startTestServer, TestServer } from '../helpers/test-app';
import { spawnNode, ServiceProcess } from '../helpers/service-process';

const README = path.resolve(__dirname, '../../README.md');
/** The Organizer as `npm run example:organizer` runs it (built by `npm run build`). */
const ORGANIZER_SERVER = path.resolve(__dirname, '../../dist/examples/organizer-api/src/server.js');

/** The shell blocks of the README's "Five-minute tour", in order. */
function tourBlocks(): string[] {
  const readme = fs.readFileSync(README, 'utf8');
  const start = readme.indexOf('\n## Five-minute tour\n');
  const end = readme.indexOf('\n## ', start + 1);
  if (start < 0 || end < 0) throw new Error('README.md has no "Five-minute tour" section');
  return [...readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
}

function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The README's tour, steps 4 to 6, run as printed: its shell blocks after the ones that start
 * processes (npm, npx), with the credentials of step 1 pasted in and the addresses of this test's
 * service and Organizer (started with the PORT and ISSUER the tour names) in place of localhost's.
 */
describe('README five-minute tour', () => {
  let server: TestServer;
  let organizer: ServiceProcess;
  let organizerUrl: string;
  let script: string;

  beforeAll(async () => {
    if (!fs.existsSync(ORGANIZER_SERVER)) throw new Error(`${ORGANIZER_SERVER} is missing: run \`npm run build\` first`);
    server = await startTestServer();
    const port = await freePort();
    organizerUrl = `http://127.0.0.1:${port}`;
    organizer = spawnNode(ORGANIZER_SERVER, [], { ISSUER: server.url, PORT: String(port) });
    const deadline = Date.now() + 30_000;
    while (!organizer.stdout().includes('Organizer API on')) {
      if (organizer.child.exitCode !== null || Date.now() > deadline) throw new Error(`the Organizer did not start: ${organizer.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const blocks = tourBlocks().filter((block) => !/^\s*(npm|npx) /m.test(block));
    expect(blocks[0]).toContain('export CLIENT_ID=… CLIENT_SECRET=…');
    script = blocks
      .join('\n')
      .replace('export CLIENT_ID=… CLIENT_SECRET=…', `export CLIENT_ID='${BOOTSTRAP.clientId}' CLIENT_SECRET='${BOOTSTRAP.clientSecret}'`)
      .replaceAll('http://localhost:4000', server.url)
      .replaceAll('http://localhost:5000', organizerUrl);
  });
  afterAll(async () => {
    organizer?.child.kill('SIGTERM');
    await organizer?.closed;
    await server?.close();
  });

  async function runTour() {
    const run = await bash(script);
    // Every helper found what it looked for: nothing on stderr (no server message, no stack trace).
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return run.stdout;
  }

  it('runs as printed, and a second time on the same service', async () => {
    const first = await runTour();
    expect(first).toContain('{"appointments":[]}');
    // curl -si prints the status line and headers (the bodies end without a newline).
    expect(first).toMatch(/HTTP\/1\.1 401 Unauthorized\r?\n(.+\r?\n)*WWW-Authenticate: Bearer realm="api"\r?\n/);
    expect(first).toMatch(/HTTP\/1\.1 403 Forbidden\r?\n(.+\r?\n)*WWW-Authenticate: Bearer realm="api", error="insufficient_scope"/);
    expect(first).toMatch(/"clientGrant":\{"scopes":\["read:appointments","write:appointments"\]\}/);
    expect(first.match(/"title":"Dentist"/g)).toHaveLength(2); // created, then listed

    const second = await runTour();
    // The same API (found, not created again), a new client and grant: the appointment of the first run is listed too.
    const apis = await server.gql(`{ resourceServers(first: 100) { nodes { identifier } } }`);
    const identifiers = (apis.body.data.resourceServers.nodes as { identifier: string }[]).map((api) => api.identifier);
    expect(identifiers.filter((identifier) => identifier === 'https://organizer.example/')).toHaveLength(1);
    expect(second.match(/"title":"Dentist"/g)).toHaveLength(4);
  });

  it("the helpers stop with the server's message, never a stack trace", async () => {
    const [credentials, helpers, defineApi] = tourBlocks().filter((block) => !/^\s*(npm|npx) /m.test(block));
    const prelude = [credentials, helpers]
      .join('\n')
      .replace('export CLIENT_ID=… CLIENT_SECRET=…', `export CLIENT_ID='${BOOTSTRAP.clientId}' CLIENT_SECRET='${BOOTSTRAP.clientSecret}'`)
      .replaceAll('http://localhost:4000', server.url);
    // The create mutation of the API step alone, on an API that exists (the tour ran above).
    const create = /\|\| (gql [\s\S]*)\)\s*$/.exec(defineApi)![1];
    const taken = await bash(`${prelude}\n${create}`);
    expect({ code: taken.code, stdout: taken.stdout, stderr: taken.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: 'TAKEN: an API with this identifier already exists\n',
    });

    const wrongSecret = await bash(prelude.replace(BOOTSTRAP.clientSecret, 'not-the-secret'));
    expect(wrongSecret.stderr).toMatch(/^invalid_client: .+\n$/);

    const noToken = await bash(`${prelude}\nMGMT=expired; gql '{"query":"{ resourceServers(first: 1) { totalCount } }"}' | json data`);
    expect(noToken.stderr).toBe('UNAUTHENTICATED: A valid access token for the Management API is required\n');

    const noServer = await bash(`${prelude.replaceAll(server.url, 'http://127.0.0.1:9')}`);
    expect(noServer.stderr).toBe('no access_token in the answer (is the server at this address?)\n');
  });
});
