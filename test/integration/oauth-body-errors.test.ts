import { startTestServer, TestServer } from '../helpers/test-app';
import { fixtures } from '../helpers/fixtures';

/**
 * A body the server refuses before an OAuth endpoint's handler runs (malformed JSON, too large,
 * an unsupported content type) is answered in the endpoint's own error format: RFC 6749 JSON with
 * `Cache-Control: no-store` (RFC 6750 with a Bearer challenge at /userinfo), HTTP 400 as RFC 6749
 * §5.2 asks. The GraphQL route keeps its own answers.
 */
describe('OAuth endpoints: every refusal of the body is an OAuth error', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'oauth-body');
  const faults: string[] = [];
  const ORIGIN = 'https://spa.oauth-body.example';

  beforeAll(async () => {
    server = await startTestServer({ env: { LOG_LEVEL: 'error' }, logStream: { write: (line: string) => void faults.push(line) } });
    await f.createClient({ appType: 'SPA', callbacks: [`${ORIGIN}/cb`], allowedOrigins: [ORIGIN] });
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    expect(faults).toEqual([]);
  });

  const BODIES: [string, Record<string, string>, string, string][] = [
    ['malformed JSON', { 'content-type': 'application/json' }, '{"grant_type":', 'The request body could not be parsed'],
    ['an empty JSON body', { 'content-type': 'application/json' }, '', 'The request body could not be parsed'],
    [
      'a 17 KB form body',
      { 'content-type': 'application/x-www-form-urlencoded' },
      `a=${'x'.repeat(17 * 1024)}`,
      'The request body is too large',
    ],
    [
      'a 17 KB JSON body',
      { 'content-type': 'application/json' },
      JSON.stringify({ a: 'x'.repeat(17 * 1024) }),
      'The request body is too large',
    ],
    [
      'an application/xml body',
      { 'content-type': 'application/xml' },
      '<grant_type/>',
      'Content-Type must be application/x-www-form-urlencoded or application/json',
    ],
    [
      'a text/plain body',
      { 'content-type': 'text/plain' },
      'grant_type=client_credentials',
      'The request body must be application/x-www-form-urlencoded or a JSON object',
    ],
  ];
  const cases = ['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/oauth/par', '/oauth/device/code'].flatMap((path) =>
    BODIES.map(([name, headers, body, description]) => [path, name, headers, body, description] as const),
  );

  it.each(cases)('POST %s with %s: 400 invalid_request, no-store', async (path, _name, headers, body, description) => {
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: description });
  });

  it.each(BODIES)(
    'POST /userinfo with %s: 400 invalid_request with a Bearer challenge (RFC 6750)',
    async (_name, headers, body, description) => {
      const response = await fetch(`${server.url}/userinfo`, { method: 'POST', headers, body });
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('www-authenticate')).toBe(`Bearer error="invalid_request", error_description="${description}"`);
      expect(await response.json()).toEqual({ error: 'invalid_request', error_description: description });
    },
  );

  it('from an origin a client allows, the refusal is readable by the page (token, revocation, userinfo)', async () => {
    for (const path of ['/oauth/token', '/oauth/revoke', '/userinfo']) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN },
        body: '{',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect((await response.json()).error).toBe('invalid_request');
    }
    const other = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://elsewhere.example' },
      body: '{',
    });
    expect(other.status).toBe(400);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the GraphQL route keeps its own error shape', async () => {
    const token = await server.managementToken();
    const malformed = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"query":',
    });
    expect(malformed.status).toBe(400);
    const body = await malformed.json();
    expect(body).not.toHaveProperty('error_description');
    expect(body.error).not.toBe('invalid_request');
    // Not the OAuth handler's answer (no-store *and* Pragma); GraphQL answers are no-store of their own.
    expect(malformed.headers.get('pragma')).toBeNull();
    expect(malformed.headers.get('cache-control')).toBe('no-store');
  });
});
