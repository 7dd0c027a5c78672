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
    expect(res.body).toEqual({ data: { resourceServerCreate: { resourceServer: { identifier: 'https://org.example/' }, userErrors: [] } } });
  });
});
