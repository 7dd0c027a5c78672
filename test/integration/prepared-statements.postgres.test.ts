import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { startTestServer, TestServer } from '../helpers/test-app';
import { basicAuth, fixtures } from '../helpers/fixtures';

/**
 * The token endpoint reads clients and APIs it has not seen with named prepared statements
 * (db/prepared-statement.ts). A newer release's migration that adds a column to `clients`,
 * `resource_servers` or `token_hooks` while this instance serves (a rolling deploy) must not break
 * those statements on the connections that already prepared them ("cached plan must not change result type").
 */
describe('prepared client read during a rolling deploy', () => {
  let db: TestDatabase;
  let server: TestServer;
  const f = fixtures(() => server, 'prepared');

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** `count` new clients granted on a new API, each asking for its first token at once. */
  async function firstTokens(count: number): Promise<number[]> {
    const api = await f.createApi();
    const clients = await f.createGrantedClients(count, api);
    const answers = await Promise.all(
      clients.map((client) =>
        server.token(
          { grant_type: 'client_credentials', audience: api.identifier },
          { authorization: basicAuth(client.clientId, client.clientSecret!) },
        ),
      ),
    );
    return answers.map((answer) => answer.status);
  }

  it('keeps answering first tokens after another release adds a column to clients, APIs and token hooks', async () => {
    expect(await firstTokens(30)).toEqual(Array(30).fill(200));
    for (const table of ['clients', 'resource_servers', 'token_hooks']) {
      await db.query(`ALTER TABLE ${table} ADD COLUMN added_by_a_newer_release text`);
    }
    expect(await firstTokens(30)).toEqual(Array(30).fill(200));
  });
});
