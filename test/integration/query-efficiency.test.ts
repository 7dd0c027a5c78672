import { CountingLogger, startTestServer, TestServer } from '../helpers/test-app';
import { basicAuth, fixtures } from '../helpers/fixtures';
import { decodeJwt } from 'jose';
import { decodeId } from '../../src/graphql/relay/global-id';

const NESTED = `{
  resourceServers(first: 100) {
    nodes { scopes { value } clientGrants(first: 10) { nodes { client { name } } } }
  }
}`;

/**
 * Statements the nested query costs, once the caller's token is verified and cached. On PostgreSQL the
 * change notices of the writes before come back through LISTEN a little later and clear the token
 * cache again: warm it until a request costs only the revocation lookup, after those notices are in.
 */
async function statementsFor(server: TestServer, logger: CountingLogger): Promise<{ count: number; servers: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const warming = logger.count;
    await server.gql('{ __typename }');
    if (logger.count - warming <= 1) break;
  }
  const before = logger.count;
  const res = await server.gql(NESTED);
  expect(res.body.errors).toBeUndefined();
  return { count: logger.count - before, servers: res.body.data.resourceServers.nodes.length };
}

describe('nested reads are batched (DataLoader)', () => {
  const logger = new CountingLogger();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ sqlLogger: logger });
  });
  afterAll(async () => {
    await server.close();
  });

  async function addServers(from: number, to: number, clientId: string): Promise<void> {
    for (let i = from; i < to; i++) {
      const created = await server.gql(
        `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id } userErrors { message } } }`,
        { input: { name: `API ${i}`, identifier: `https://api-${i}.example/`, scopes: [{ value: 'read:x' }, { value: 'write:x' }] } },
      );
      const id = created.body.data.resourceServerCreate.resourceServer.id;
      await server.gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { userErrors { message } } }`, {
        input: { clientId, resourceServerId: id, scopes: ['read:x'] },
      });
    }
  }

  it('takes the same number of statements for 2 and for 100 servers', async () => {
    const client = await server.gql(`mutation { clientCreate(input: { name: "m2m", appType: MACHINE_TO_MACHINE }) { client { id } } }`);
    const clientId = client.body.data.clientCreate.client.id;

    // The built-in APIs (Management, userinfo) are always there: 2 servers means no other.
    const one = await statementsFor(server, logger);
    expect(one.servers).toBe(2);

    await addServers(0, 98, clientId);
    const hundred = await statementsFor(server, logger);
    expect(hundred.servers).toBe(100);

    expect(hundred.count).toBe(one.count);
    // list + scopes + grant pages + clients: a handful, whatever the size.
    expect(one.count).toBeLessThanOrEqual(5);
    console.log(JSON.stringify({ metric: 'nested_query_statements', servers1: one.count, servers100: hundred.count }));
  });
});

describe('the token endpoint reads a client it has not seen in one statement', () => {
  const logger = new CountingLogger();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ sqlLogger: logger });
  });
  afterAll(async () => {
    await server.close();
  });

  it('client, live secrets and grants together: a first token for a known API costs one statement', async () => {
    const f = fixtures(() => server, 'first-token');
    const api = await f.createApi();
    const clients = await f.createGrantedClients(3, api);
    // The API is cached by a first client's token; the notices of the writes above are in by then.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await f.issueToken(clients[0], api);
    for (const client of clients.slice(1)) {
      const before = logger.count;
      await f.issueToken(client, api);
      expect(logger.count - before).toBe(1);
    }
  });

  it('a first token for an API not seen yet costs one statement more: the API, its scopes and its token hook together', async () => {
    const f = fixtures(() => server, 'first-api');
    const api = await f.createApi();
    const [client] = await f.createGrantedClients(1, api);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = logger.queries.length;
    await f.issueToken(client, api);
    const statements = logger.queries.slice(before);
    expect(statements).toHaveLength(2);
    expect(statements.filter((text) => text.includes('FROM clients c WHERE c.client_id = ANY'))).toHaveLength(1);
    expect(statements.filter((text) => text.includes('FROM resource_servers r WHERE r.identifier = ANY'))).toHaveLength(1);
  });
});

describe('clients missed at once are read together', () => {
  const logger = new CountingLogger();
  let server: TestServer;
  const f = fixtures(() => server, 'batched');
  const clientReads = () => logger.queries.filter((text) => text.includes('FROM clients c WHERE c.client_id = ANY')).length;

  beforeAll(async () => {
    server = await startTestServer({ sqlLogger: logger });
  });
  afterAll(async () => {
    await server.close();
  });

  it('reads the clients looked up in one turn in one statement, each with its own secrets and grants, unknown ones as null', async () => {
    const apis = [await f.createApi(), await f.createApi()];
    // Clients 0, 2, 4, … hold a grant on the first API, 1, 3, 5, … on the second.
    const [even, odd] = [await f.createGrantedClients(6, apis[0]), await f.createGrantedClients(6, apis[1])];
    const clients = even.flatMap((client, i) => [client, odd[i]]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const unknown = ['batched-unknown-1', 'batched-unknown-2'];
    const before = clientReads();
    const found = await Promise.all([...clients.map((client) => client.clientId), ...unknown].map((id) => server.app.registry.client(id)));
    expect(clientReads() - before).toBe(1);
    const apiUuids = apis.map((api) => decodeId(api.id, 'ResourceServer')!);
    clients.forEach((client, i) => {
      expect(found[i]!.client.id).toBe(decodeId(client.id, 'Client'));
      expect(found[i]!.client.clientId).toBe(client.clientId);
    });
    expect(found.slice(clients.length)).toEqual([null, null]);
    // Each client's grant is its own: for its API, none for the other.
    for (const [i, client] of clients.entries()) {
      const uuid = decodeId(client.id, 'Client')!;
      expect((await server.app.registry.grant(uuid, apiUuids[i % 2]))?.clientUuid).toBe(uuid);
      expect(await server.app.registry.grant(uuid, apiUuids[(i + 1) % 2])).toBeNull();
    }
  });

  it('reads at most 100 clients per statement', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `batched-many-${i}`);
    const before = clientReads();
    expect(await Promise.all(ids.map((id) => server.app.registry.client(id)))).toEqual(ids.map(() => null));
    expect(clientReads() - before).toBe(3);
  });

  it('answers concurrent first tokens each for its own client: its own secret only, unknown ones refused', async () => {
    const api = await f.createApi();
    const clients = await f.createGrantedClients(10, api);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ask = (clientId: string, secret: string) =>
      server.token({ grant_type: 'client_credentials', audience: api.identifier }, { authorization: basicAuth(clientId, secret) });
    const answers = await Promise.all([
      ...clients.map((client) => ask(client.clientId, client.clientSecret!)),
      // Another client's secret, and a client_id nobody has.
      ask(clients[0].clientId, clients[1].clientSecret!),
      ask('batched-nobody', clients[2].clientSecret!),
    ]);
    clients.forEach((client, i) => {
      expect(answers[i].status).toBe(200);
      expect(decodeJwt(answers[i].body.access_token).client_id).toBe(client.clientId);
    });
    expect(answers.slice(clients.length).map((answer) => [answer.status, answer.body.error])).toEqual([
      [401, 'invalid_client'],
      [401, 'invalid_client'],
    ]);
  });
});
