import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures } from '../helpers/fixtures';

/**
 * The token endpoint reads a client it has not seen with a named prepared statement
 * (db/prepared-statement.ts). A newer release's migration that adds a column to `clients` while
 * this instance serves (a rolling deploy) must not break that statement on the connections that
 * already prepared it ("cached plan must not change result type").
 */
describe('prepared client read during a rolling deploy', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: ApiFixture;
  const f = fixtures(() => server, 'prepared');

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ db });
    api = await f.createApi();
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  /** `count` new clients granted on the API, each asking for its first token at once. */
  async function firstTokens(count: number): Promise<number[]> {
    const clients: ClientFixture[] = [];
    for (let i = 0; i < count; i++) {
      const client = await f.createClient();
      await f.createGrant(client, api, ['read:x']);
      clients.push(client);
    }
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

  it('keeps answering first tokens after another release adds a column to clients', async () => {
    // Enough at once that every pooled connection prepares the statement.
    expect(await firstTokens(30)).toEqual(Array(30).fill(200));
    await db.query('ALTER TABLE clients ADD COLUMN added_by_a_newer_release text');
    expect(await firstTokens(30)).toEqual(Array(30).fill(200));
  });
});
