import { createHash } from 'node:crypto';
import { startTestServer, TestServer } from '../helpers/test-app';

/** The links of a page: every href, in order. */
const linksOf = (html: string) => [...html.matchAll(/<a href="([^"]+)">/g)].map((match) => match[1]);

describe('GET / (landing page)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { EXPLORER: 'true' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a static page under a CSP that runs nothing, linking what the service serves', async () => {
    const response = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    expect(html).not.toMatch(/<script/i);
    // The one <style> element, admitted by its hash; nothing else may load or run.
    const style = /<style>([^<]*)<\/style>/.exec(html)![1];
    const hash = createHash('sha256').update(style).digest('base64');
    expect(response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );

    const links = linksOf(html);
    expect(links).toEqual([
      `${server.url}/console`,
      `${server.url}/graphql`,
      `${server.url}/.well-known/openid-configuration`,
      `${server.url}/.well-known/jwks.json`,
      `${server.url}/readyz`,
    ]);
    // Each link answers: the console and the explorer to a browser, the JSON documents, readiness.
    for (const link of links) {
      const target = await fetch(link, { headers: { accept: 'text/html' } });
      expect({ link, status: target.status }).toEqual({ link, status: 200 });
    }
  });

  it('links no explorer when EXPLORER=false', async () => {
    const plain = await startTestServer({ env: { EXPLORER: 'false' } });
    try {
      const html = await (await fetch(`${plain.url}/`)).text();
      expect(linksOf(html)).toEqual([
        `${plain.url}/console`,
        `${plain.url}/.well-known/openid-configuration`,
        `${plain.url}/.well-known/jwks.json`,
        `${plain.url}/readyz`,
      ]);
    } finally {
      await plain.close();
    }
  });
});
