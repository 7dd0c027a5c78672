import { startTestServer, TestServer } from '../helpers/test-app';
import { fixtures } from '../helpers/fixtures';
import { BrowserAgent, pkce, textOf } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

/**
 * A failed query is logged without its SQL, its parameters, or PostgreSQL's detail and where
 * (TypeORM's QueryFailedError carries them: a user's email, here). Faults are provoked for real:
 * a table taken away under a running server.
 */
describe('logs: a failed query never logs its parameters', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'query-fault');
  const lines: string[] = [];
  const EMAIL = 'grace.hopper@query-fault.example';
  const PASSWORD = 'a long enough password';
  const CALLBACK = 'https://web.query-fault.example/cb';
  let clientId = '';

  beforeAll(async () => {
    server = await startTestServer({ env: { LOG_LEVEL: 'error' }, logStream: { write: (line: string) => void lines.push(line) } });
    clientId = (await f.createClient({ name: 'Web', appType: 'REGULAR_WEB', callbacks: [CALLBACK] })).clientId;
    await server.app.users.create({ email: EMAIL, password: PASSWORD }, SYSTEM_ACTOR);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Runs `provoke` while `table` is renamed away; returns the log lines written meanwhile. */
  async function withoutTable(table: string, provoke: () => Promise<void>): Promise<Record<string, any>[]> {
    const start = lines.length;
    await server.db.query(`ALTER TABLE ${table} RENAME TO ${table}_away`);
    try {
      await provoke();
    } finally {
      await server.db.query(`ALTER TABLE ${table}_away RENAME TO ${table}`);
    }
    return lines.slice(start).map((line) => JSON.parse(line));
  }

  function expectNoQueryFields(err: Record<string, any>) {
    for (const field of ['query', 'parameters', 'detail', 'where']) {
      expect(err).not.toHaveProperty(field);
      expect(err.driverError).not.toHaveProperty(field);
    }
  }

  it('a sign-in whose throttle query fails: the fault is logged with its code and message, not the email', async () => {
    const agent = new BrowserAgent(server.url);
    const params = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CALLBACK,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    };
    const login = await agent.get(`/authorize?${new URLSearchParams(params)}`);
    const logged = await withoutTable('login_failures', async () => {
      const res = await agent.submit(login, { email: EMAIL, password: PASSWORD });
      expect(res.status).toBe(500);
      expect(textOf(res.text)).toContain('The server could not complete the request.');
    });
    expect(logged).toHaveLength(1);
    const [line] = logged;
    expect(line).toMatchObject({
      msg: 'authorization endpoint fault',
      err: {
        type: 'QueryFailedError',
        message: expect.stringContaining('login_failures'),
        code: '42P01',
        driverError: { type: 'DatabaseError', code: '42P01' },
      },
    });
    expectNoQueryFields(line.err);
    expect(JSON.stringify(line)).not.toContain('grace.hopper');
  });

  it('a GraphQL filter whose query fails: the resolver fault is logged without the filter value', async () => {
    await server.managementToken();
    const logged = await withoutTable('users', async () => {
      const res = await server.gql('query($e: String) { users(filter: { email: $e }) { totalCount } }', { e: EMAIL });
      expect(res.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    });
    const faults = logged.filter((line) => line.msg === 'GraphQL resolver fault');
    expect(faults).toHaveLength(1);
    expect(faults[0].err).toMatchObject({ type: 'QueryFailedError', code: '42P01' });
    expectNoQueryFields(faults[0].err);
    expect(JSON.stringify(logged)).not.toContain('grace.hopper');
  });

  it('a unique violation (its detail quotes the row): logged with its constraint, without detail or parameters', async () => {
    await server.db.query('CREATE TABLE query_fault_probe (email text CONSTRAINT query_fault_probe_email UNIQUE)');
    const insert = () => server.app.database.dataSource.query('INSERT INTO query_fault_probe (email) VALUES ($1)', [EMAIL]);
    await insert();
    const error = await insert().then(
      () => undefined,
      (e: unknown) => e,
    );
    // What a log line would otherwise carry.
    expect(error).toMatchObject({ name: 'QueryFailedError', parameters: [EMAIL], detail: expect.stringContaining(EMAIL) });
    const start = lines.length;
    server.app.http.log.error({ err: error }, 'probe');
    const [line] = lines.slice(start).map((text) => JSON.parse(text));
    expect(line.err).toMatchObject({
      type: 'QueryFailedError',
      message: expect.stringContaining('duplicate key'),
      code: '23505',
      constraint: 'query_fault_probe_email',
      driverError: { type: 'DatabaseError', code: '23505', constraint: 'query_fault_probe_email' },
    });
    expectNoQueryFields(line.err);
    expect(lines.slice(start).join('')).not.toContain('grace.hopper');
    // The error itself is left whole (only its log line is trimmed).
    expect(error).toMatchObject({ parameters: [EMAIL], query: expect.stringContaining('INSERT') });
  });
});
