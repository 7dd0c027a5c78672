import { startTestServer, TestServer } from '../helpers/test-app';
it('dbg', async () => {
  const server: TestServer = await startTestServer({ env: { LOG_LEVEL: 'error' } });
  const q = `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id clientId } clientSecret userErrors { code message } } }`;
  const r = await server.gql(q, { input: { name: 'a', appType: 'REGULAR_WEB', redirectUris: ['https://app.example/callback'] } });
  console.log(r.status, JSON.stringify(r.body));
  await server.close();
});
