import { BrowserAgent, pkce, responseParams, textOf, AgentResponse } from './browser-agent';
import { basicAuth, ClientFixture } from './fixtures';
import type { TestServer } from './test-app';

/** Shared by the refresh-token tests: the browser side of /authorize, and token requests. */

export interface AuthorizeResult {
  /** The redirect to the client (its query holds code or error). */
  location: string;
  params: Record<string, string>;
  verifier: string;
  /** The consent page's text, when one was shown. */
  consentText?: string;
}

/**
 * Signs `email` in at /authorize with PKCE and allows the consent page if one is shown; returns the
 * response parameters sent to the client's callback. `agent` keeps a session across calls.
 */
export async function authorize(
  server: TestServer,
  input: {
    agent?: BrowserAgent;
    clientId: string;
    redirectUri: string;
    /** Omitted: the request names no API (DEFAULT_AUDIENCE, or the userinfo API for standard scopes only). */
    audience?: string;
    scope: string;
    email: string;
    password: string;
    extra?: Record<string, string>;
  },
): Promise<AuthorizeResult> {
  const agent = input.agent ?? new BrowserAgent(server.url);
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: input.clientId,
    redirect_uri: input.redirectUri,
    ...(input.audience !== undefined ? { audience: input.audience } : {}),
    scope: input.scope,
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...input.extra,
  });
  let page: AgentResponse = await agent.get(`/authorize?${query}`);
  if (page.status === 200 && page.text.includes('/authorize/login')) {
    page = await agent.follow(await agent.submit(page, { email: input.email, password: input.password }));
  }
  let consentText: string | undefined;
  if (page.status === 200 && page.text.includes('/authorize/consent')) {
    consentText = textOf(page.text);
    page = await agent.submit(page, { decision: 'allow' });
  }
  if (![302, 303].includes(page.status) || !page.location) throw new Error(`no redirect: ${page.status} ${page.text.slice(0, 400)}`);
  const mode = input.extra?.response_type === 'token' ? 'fragment' : 'query';
  return { location: page.location, params: responseParams(page.location, mode), verifier, consentText };
}

/** Client authentication for a token request: Basic for confidential clients, client_id alone for public ones. */
export function clientAuth(client: ClientFixture): { params: Record<string, string>; headers: Record<string, string> } {
  return client.clientSecret
    ? { params: {}, headers: { authorization: basicAuth(client.clientId, client.clientSecret) } }
    : { params: { client_id: client.clientId }, headers: {} };
}

/** POST /oauth/token grant_type=refresh_token as `client`. */
export function refresh(server: TestServer, client: ClientFixture, refreshToken: string, extra: Record<string, string> = {}) {
  const auth = clientAuth(client);
  return server.token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...auth.params, ...extra }, auth.headers);
}

/** POST /oauth/token grant_type=authorization_code as `client`. */
export function exchangeCode(server: TestServer, client: ClientFixture, code: string, verifier: string, redirectUri: string) {
  const auth = clientAuth(client);
  return server.token(
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, ...auth.params },
    auth.headers,
  );
}

/** POST /oauth/introspect: whether the token is active (the introspector holds `introspect` on its API). */
export async function isActive(server: TestServer, introspector: ClientFixture, token: string): Promise<boolean> {
  const response = await fetch(`${server.url}/oauth/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuth(introspector.clientId, introspector.clientSecret!),
    },
    body: new URLSearchParams({ token }).toString(),
  });
  if (response.status !== 200) throw new Error(`introspection: ${response.status}`);
  return (await response.json()).active === true;
}
