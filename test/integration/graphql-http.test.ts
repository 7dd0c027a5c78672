import { startTestServer, TestServer } from '../helpers/test-app';

describe('smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('creates an API through GraphQL with a management token', async () => {
    const res = await server.gql(
      `mutation { resourceServerCreate(input: { name: "Org", identifier: "https://org.example/" }) { resourceServer { identifier } userErrors { code } } }`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: { resourceServerCreate: { resourceServer: { identifier: 'https://org.example/' }, userErrors: [] } },
    });
  });

  it('answers compact JSON that no cache may store: a client secret is shown once', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await server.managementToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `mutation { clientCreate(input: { name: "Shown once", appType: MACHINE_TO_MACHINE }) { clientSecret } }`,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text).not.toMatch(/\n/);
    expect(JSON.parse(text).data.clientCreate.clientSecret).toEqual(expect.any(String));
  });
});

describe('variables that do not fit their types', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('are a 400 BAD_USER_INPUT, not a server fault', async () => {
    const res = await server.gql(`mutation($input: ClientCreateInput!) { clientCreate(input: $input) { userErrors { code } } }`, {
      input: { name: 'x', appType: 'SPA', redirectUris: ['https://a.example/cb'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0].message).toContain('redirectUris');
  });
});
