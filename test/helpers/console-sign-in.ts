import { BrowserAgent, pkce, responseParams, AgentResponse } from './browser-agent';
import type { TestServer } from './test-app';

/** The console's side of signing a person in (what the console SPA does), driven without a browser. */

export interface ConsoleConfig {
  issuer: string;
  clientId: string;
  audience: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  scopes: string[];
}

export async function consoleConfig(server: Pick<TestServer, 'url'>): Promise<ConsoleConfig> {
  const response = await fetch(`${server.url}/console/config.json`);
  if (response.status !== 200) throw new Error(`config.json: ${response.status}`);
  return response.json();
}

/**
 * Signs `email` in at /authorize as the console would (PKCE, every management scope, openid
 * offline_access) and returns the parameters sent to its callback. The callback is under the issuer,
 * so redirects are followed by hand and stop there. `pages` gets each page shown (sign-in, consent).
 */
export async function consoleAuthorize(
  server: Pick<TestServer, 'url'>,
  input: {
    email: string;
    password: string;
    /** Another client, its redirect URI, another API: what the console never asks, to see it refused. */
    clientId?: string;
    redirectUri?: string;
    audience?: string;
    agent?: BrowserAgent;
    pages?: AgentResponse[];
  },
): Promise<{ params: Record<string, string>; verifier: string; config: ConsoleConfig }> {
  const config = await consoleConfig(server);
  const agent = input.agent ?? new BrowserAgent(server.url);
  const redirectUri = input.redirectUri ?? config.redirectUri;
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: input.clientId ?? config.clientId,
    redirect_uri: redirectUri,
    audience: input.audience ?? config.audience,
    scope: ['openid', 'offline_access', ...config.scopes].join(' '),
    state: 'console-state',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  let page = await agent.get(`/authorize?${query}`);
  let signedIn = false;
  for (let step = 0; step < 6; step++) {
    if (page.status === 200) {
      input.pages?.push(page);
      if (!page.text.includes('/authorize/login') || signedIn) throw new Error(`unexpected page: ${page.text.slice(0, 300)}`);
      signedIn = true;
      page = await agent.submit(page, { email: input.email, password: input.password });
      continue;
    }
    if (![302, 303].includes(page.status) || !page.location) throw new Error(`no redirect: ${page.status} ${page.text.slice(0, 300)}`);
    const next = new URL(page.location, page.url);
    if (next.href.startsWith(redirectUri)) return { params: responseParams(next.href), verifier, config };
    page = await agent.get(next.href);
  }
  throw new Error('too many redirects');
}

/** The console's tokens for the person: the code exchanged as a public client. */
export async function consoleSignIn(
  server: Pick<TestServer, 'url' | 'token'>,
  email: string,
  password: string,
): Promise<{ access_token: string; refresh_token: string; id_token: string; scope: string; config: ConsoleConfig }> {
  const { params, verifier, config } = await consoleAuthorize(server, { email, password });
  if (!params.code) throw new Error(`no code: ${JSON.stringify(params)}`);
  const res = await server.token({
    grant_type: 'authorization_code',
    code: params.code,
    code_verifier: verifier,
    redirect_uri: config.redirectUri,
    client_id: config.clientId,
  });
  if (res.status !== 200) throw new Error(`token: ${JSON.stringify(res.body)}`);
  return { ...res.body, config };
}
