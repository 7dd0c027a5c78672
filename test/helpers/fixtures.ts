import type { TestServer } from './test-app';

/** Shared set-up for integration tests: APIs, clients and grants made through the GraphQL API. */

export interface ApiFixture {
  id: string;
  identifier: string;
  signingSecret: string | null;
}

export interface ClientFixture {
  id: string;
  clientId: string;
  clientSecret: string | null;
}

export const globalId = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`, 'utf8').toString('base64url');
export const uuidOf = (id: string) => Buffer.from(id, 'base64url').toString('utf8').split(':')[1];

/** The exact user errors expected, each with a non-empty message. */
export function userErrors(...errors: [string[] | null, string][]) {
  return errors.map(([field, code]) => ({ field, code, message: expect.stringMatching(/\S/) }));
}

/** An RFC 6749 §2.3.1 Basic header: id and secret form-encoded, then base64. */
export const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Builders bound to a test server (read lazily: servers start in beforeAll). */
export function fixtures(server: () => TestServer, prefix: string) {
  let seq = 0;

  async function gqlData(query: string, variables?: Record<string, unknown>): Promise<any> {
    const res = await server().gql(query, variables);
    if (res.status !== 200 || res.body.errors) throw new Error(JSON.stringify(res.body));
    return res.body.data;
  }

  /** An API with scopes read:x and write:x and a 600 s lifetime unless `input` says otherwise. */
  async function createApi(input: Record<string, unknown> = {}): Promise<ApiFixture> {
    const data = await gqlData(
      `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id identifier } signingSecret userErrors { code message } } }`,
      {
        input: {
          name: `API ${++seq}`,
          identifier: `https://${prefix}-${++seq}.example/`,
          tokenLifetime: 600,
          scopes: [{ value: 'read:x', description: 'd' }, { value: 'write:x' }],
          ...input,
        },
      },
    );
    const payload = data.resourceServerCreate;
    if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
    return { ...payload.resourceServer, signingSecret: payload.signingSecret };
  }

  /** A machine-to-machine client unless `input` says otherwise. */
  async function createClient(input: Record<string, unknown> = {}): Promise<ClientFixture> {
    const data = await gqlData(
      `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id clientId } clientSecret userErrors { code message } } }`,
      { input: { name: `client ${++seq}`, appType: 'MACHINE_TO_MACHINE', ...input } },
    );
    const payload = data.clientCreate;
    if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
    return { ...payload.client, clientSecret: payload.clientSecret };
  }

  /** Grants the client the scopes on the API; returns the grant's ID. */
  async function createGrant(client: { id: string }, api: { id: string }, scopes: string[]): Promise<string> {
    const data = await gqlData(
      `mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } userErrors { code message } } }`,
      { input: { clientId: client.id, resourceServerId: api.id, scopes } },
    );
    const payload = data.clientGrantCreate;
    if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
    return payload.clientGrant.id;
  }

  /** `count` new machine clients, each granted `scopes` on the API, made one after the other. */
  async function createGrantedClients(count: number, api: { id: string }, scopes: string[] = ['read:x']): Promise<ClientFixture[]> {
    const clients: ClientFixture[] = [];
    for (let i = 0; i < count; i++) {
      const client = await createClient();
      await createGrant(client, api, scopes);
      clients.push(client);
    }
    return clients;
  }

  /** A client-credentials token for the API (Basic auth); throws unless the token endpoint says 200. */
  async function issueToken(client: { clientId: string; clientSecret: string | null }, api: { identifier: string }): Promise<string> {
    const res = await server().token(
      { grant_type: 'client_credentials', audience: api.identifier },
      { authorization: basicAuth(client.clientId, client.clientSecret!) },
    );
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    return res.body.access_token;
  }

  return { gqlData, createApi, createClient, createGrant, createGrantedClients, issueToken };
}
