import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { startTestServer, TestServer } from '../helpers/test-app';
import { fixtures } from '../helpers/fixtures';

/**
 * Auth0's resource-server middleware against our tokens. Given only `issuerBaseURL` it reads
 * discovery and takes `id_token_signing_alg_values_supported` as the algorithms access tokens may
 * use: that list must not narrow what APIs sign with. HS256 APIs are verified with their secret.
 */
describe('express-oauth2-jwt-bearer verifies access tokens of every API algorithm', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'jwt-bearer');
  const listening: Server[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const s of listening) await new Promise((resolve) => s.close(resolve));
    await server?.close();
  });

  /** An API protected by the middleware; returns its URL. */
  async function protectedApi(options: Parameters<typeof auth>[0]): Promise<string> {
    const app = express();
    app.get('/data', auth(options), (req, res) => {
      res.json({ sub: req.auth!.payload.sub });
    });
    app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status ?? 500).json({ error: String(err) });
    });
    const s = await new Promise<Server>((resolve) => {
      const started = app.listen(0, '127.0.0.1', () => resolve(started));
    });
    listening.push(s);
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}/data`;
  }

  const call = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

  for (const algorithm of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
    it(`${algorithm}: with issuerBaseURL alone (discovery and JWKS)`, async () => {
      const api = await f.createApi({ signingAlgorithm: algorithm });
      const client = await f.createClient();
      await f.createGrant(client, api, ['read:x']);
      const url = await protectedApi({ issuerBaseURL: server.url, audience: api.identifier });
      const token = await f.issueToken(client, api);
      const res = await call(url, token);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sub: client.clientId });
      // And it still refuses what it must: another API's audience.
      const other = await f.createApi({ signingAlgorithm: algorithm });
      await f.createGrant(client, other, ['read:x']);
      expect((await call(url, await f.issueToken(client, other))).status).toBe(401);
    });
  }

  it('HS256: with the issuer, the API’s secret and tokenSigningAlg', async () => {
    const api = await f.createApi({ signingAlgorithm: 'HS256' });
    const client = await f.createClient();
    await f.createGrant(client, api, ['read:x']);
    const url = await protectedApi({ issuer: server.url, audience: api.identifier, secret: api.signingSecret!, tokenSigningAlg: 'HS256' });
    const res = await call(url, await f.issueToken(client, api));
    expect(res.status).toBe(200);
    const wrongSecret = await protectedApi({
      issuer: server.url,
      audience: api.identifier,
      secret: 'x'.repeat(43),
      tokenSigningAlg: 'HS256',
    });
    expect((await call(wrongSecret, await f.issueToken(client, api))).status).toBe(401);
  });
});
