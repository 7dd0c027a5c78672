import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { BOOTSTRAP, startTestServer, TestServer } from '../helpers/test-app';
import {
  assertNoUserErrors,
  ClientCreateDocument,
  ClientGrantCreateDocument,
  createManagementClient,
  getClientCredentialsToken,
  ManagementClient,
  ResourceServerCreateDocument,
} from '../../sdk';
import { createOrganizerApi } from '../../examples/organizer-api/src/app';

const ORGANIZER = 'https://organizer.example/';
const OTHER = 'https://other.example/';
const SCOPES = [
  { value: 'read:appointments', description: 'Read appointments' },
  { value: 'write:appointments', description: 'Create appointments' },
];

describe('examples/organizer-api protected by this service', () => {
  let server: TestServer;
  let management: ManagementClient;
  let organizer: Server;
  let organizerUrl: string;
  const tokens = { readOnly: '', readWrite: '', otherApi: '' };

  async function createApi(name: string, identifier: string) {
    const { resourceServerCreate } = await management.request(ResourceServerCreateDocument, {
      input: { name, identifier, scopes: SCOPES },
    });
    return assertNoUserErrors(resourceServerCreate).resourceServer!;
  }

  /** A machine client with the given grants; returns its token for `audience`. */
  async function machineToken(name: string, grants: { apiId: string; scopes: string[] }[], audience: string) {
    const { clientCreate } = await management.request(ClientCreateDocument, { input: { name, appType: 'MACHINE_TO_MACHINE' } });
    const { client, clientSecret } = assertNoUserErrors(clientCreate);
    for (const grant of grants) {
      const { clientGrantCreate } = await management.request(ClientGrantCreateDocument, {
        input: { clientId: client!.id, resourceServerId: grant.apiId, scopes: grant.scopes },
      });
      assertNoUserErrors(clientGrantCreate);
    }
    const token = await getClientCredentialsToken({
      issuer: server.url,
      clientId: client!.clientId,
      clientSecret: clientSecret!,
      audience,
    });
    return token.accessToken;
  }

  beforeAll(async () => {
    server = await startTestServer();
    const { accessToken } = await getClientCredentialsToken({
      issuer: server.url,
      clientId: BOOTSTRAP.clientId,
      clientSecret: BOOTSTRAP.clientSecret,
      audience: server.app.config.managementAudience,
    });
    management = createManagementClient({ url: `${server.url}/graphql`, token: accessToken });

    const organizerApi = await createApi('Organizer', ORGANIZER);
    const otherApi = await createApi('Other', OTHER);
    tokens.readOnly = await machineToken('Reader', [{ apiId: organizerApi.id, scopes: ['read:appointments'] }], ORGANIZER);
    tokens.readWrite = await machineToken(
      'Scheduler',
      [{ apiId: organizerApi.id, scopes: ['read:appointments', 'write:appointments'] }],
      ORGANIZER,
    );
    // Same scope names, another API: its tokens carry aud https://other.example/.
    tokens.otherApi = await machineToken('Elsewhere', [{ apiId: otherApi.id, scopes: ['read:appointments', 'write:appointments'] }], OTHER);

    const app = createOrganizerApi({ issuerBaseURL: server.url, audience: ORGANIZER });
    organizer = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening)).on('error', reject);
    });
    organizerUrl = `http://127.0.0.1:${(organizer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (organizer) {
      organizer.closeAllConnections();
      await new Promise<void>((resolve) => organizer.close(() => resolve()));
    }
    await server?.close();
  });

  async function call(method: 'GET' | 'POST', token?: string, body?: unknown) {
    const response = await fetch(`${organizerUrl}/appointments`, {
      method,
      headers: {
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: await response.json() };
  }

  it('answers 401 without a token, with a bare Bearer challenge (RFC 6750 §3.1)', async () => {
    for (const method of ['GET', 'POST'] as const) {
      expect(await call(method)).toEqual({
        status: 401,
        wwwAuthenticate: 'Bearer realm="api"',
        body: { error: 'unauthorized', error_description: 'Unauthorized' },
      });
    }
  });

  it('lets a read:appointments token read, and refuses it writing with 403 insufficient_scope', async () => {
    expect(await call('GET', tokens.readOnly)).toEqual({ status: 200, wwwAuthenticate: null, body: { appointments: [] } });
    expect(await call('POST', tokens.readOnly, { title: 'Dentist', startsAt: '2030-01-31T09:30:00Z' })).toEqual({
      status: 403,
      wwwAuthenticate: 'Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="write:appointments"',
      body: { error: 'insufficient_scope', error_description: 'Insufficient Scope' },
    });
  });

  it('lets a token with both scopes create an appointment, which GET then lists', async () => {
    const created = await call('POST', tokens.readWrite, { title: 'Dentist', startsAt: '2030-01-31T09:30:00Z' });
    expect(created).toEqual({
      status: 201,
      wwwAuthenticate: null,
      body: {
        id: expect.any(String),
        title: 'Dentist',
        startsAt: '2030-01-31T09:30:00.000Z',
        createdBy: expect.any(String),
        createdAt: expect.any(String),
      },
    });
    expect(await call('GET', tokens.readWrite)).toEqual({ status: 200, wwwAuthenticate: null, body: { appointments: [created.body] } });
    expect(await call('GET', tokens.readOnly)).toEqual({ status: 200, wwwAuthenticate: null, body: { appointments: [created.body] } });
  });

  it('refuses an invalid appointment with 400 naming the fields', async () => {
    expect(await call('POST', tokens.readWrite, { title: '', startsAt: 'tomorrow' })).toEqual({
      status: 400,
      wwwAuthenticate: null,
      body: {
        error: 'invalid_request',
        error_description: 'invalid appointment',
        errors: [
          { field: 'title', message: expect.any(String) },
          { field: 'startsAt', message: expect.any(String) },
        ],
      },
    });
    expect(await call('POST', tokens.readWrite, '{"title":')).toEqual({
      status: 400,
      wwwAuthenticate: null,
      body: { error: 'invalid_request', error_description: 'the body is not valid JSON' },
    });
  });

  it('refuses a token for another API (same scope names) with 401 invalid_token', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await call(method, tokens.otherApi, method === 'POST' ? { title: 'x', startsAt: '2030-01-31T09:30:00Z' } : undefined);
      expect(res).toEqual({
        status: 401,
        wwwAuthenticate: 'Bearer realm="api", error="invalid_token", error_description="Unexpected \'aud\' value"',
        body: { error: 'invalid_token', error_description: "Unexpected 'aud' value" },
      });
    }
  });

  it('refuses a garbage token and a tampered one with 401 invalid_token', async () => {
    for (const token of ['garbage', `${tokens.readWrite.slice(0, -4)}AAAA`]) {
      const res = await call('GET', token);
      expect(res.status).toBe(401);
      expect(res.wwwAuthenticate).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
      expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    }
  });
});
