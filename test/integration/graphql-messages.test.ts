import { startTestServer, TestServer } from '../helpers/test-app';

/** What the Management API tells a client that sent a wrong value: enums list their values, durations say "seconds". */
describe('GraphQL messages', () => {
  let server: TestServer;
  let counter = 0;
  const uid = () => `https://messages-${Date.now().toString(36)}-${++counter}.example/`;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const CLIENT_CREATE = `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id } userErrors { field message code } } }`;
  const APP_TYPES = 'Valid values: NATIVE, SPA, REGULAR_WEB, MACHINE_TO_MACHINE.';

  describe('a bad enum value lists the valid ones', () => {
    it('in variables (HTTP 400, BAD_USER_INPUT)', async () => {
      const res = await server.gql(CLIENT_CREATE, { input: { name: 'x', appType: 'MACHINE' } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT' });
      expect(res.body.errors![0].message).toBe(
        `Variable "$input" got invalid value "MACHINE" at "input.appType"; Value "MACHINE" does not exist in "ApplicationType" enum. ${APP_TYPES}`,
      );
    });

    it('in variables, a value of another type', async () => {
      const res = await server.gql(CLIENT_CREATE, { input: { name: 'x', appType: 3 } });
      expect(res.status).toBe(400);
      expect(res.body.errors![0].message).toBe(
        `Variable "$input" got invalid value 3 at "input.appType"; Enum "ApplicationType" cannot represent non-string value: 3. ${APP_TYPES}`,
      );
    });

    it('in a literal (HTTP 400, GRAPHQL_VALIDATION_FAILED), with the closest suggestion kept', async () => {
      const res = await server.gql(`mutation { clientCreate(input: { name: "x", appType: SPAA }) { client { id } } }`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(res.body.errors![0].message).toBe(
        `Value "SPAA" does not exist in "ApplicationType" enum. Did you mean the enum value "SPA"? ${APP_TYPES}`,
      );
    });

    it('in a literal written as a string', async () => {
      const res = await server.gql(
        `mutation { resourceServerCreate(input: { name: "x", identifier: "${uid()}", signingAlgorithm: "RS256" }) { resourceServer { id } } }`,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors![0].message).toMatch(
        /^Enum "SigningAlgorithm" cannot represent non-enum value: "RS256"\..* Valid values: RS256, PS256, ES256, EdDSA, HS256\.$/,
      );
    });
  });

  it('answers a GET query that carries the CSRF-prevention header, and says which header when it is missing', async () => {
    const url = `${server.url}/graphql?query=${encodeURIComponent('{ resourceServers(first: 1) { totalCount } }')}`;
    const authorization = `Bearer ${await server.managementToken()}`;
    const refused = await fetch(url, { headers: { authorization } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('apollo-require-preflight');

    const answered = await fetch(url, { headers: { authorization, 'apollo-require-preflight': 'true' } });
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as any).data.resourceServers.totalCount).toBeGreaterThan(0);
  });

  describe('durations say "seconds"', () => {
    it('in the userErrors of a lifetime out of range', async () => {
      const res = await server.gql(
        `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id } userErrors { field message code } } }`,
        { input: { name: 'x', identifier: uid(), tokenLifetime: 10, tokenLifetimeForWeb: 5 } },
      );
      expect(res.body.data.resourceServerCreate.userErrors).toEqual([
        { field: ['input', 'tokenLifetime'], message: 'must be a whole number of seconds from 60 to 2592000', code: 'INVALID' },
        { field: ['input', 'tokenLifetimeForWeb'], message: 'must be a whole number of seconds from 60 to 2592000', code: 'INVALID' },
      ]);

      const web = await server.gql(
        `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { userErrors { field message code } } }`,
        { input: { name: 'x', identifier: uid(), tokenLifetime: 600, tokenLifetimeForWeb: 601 } },
      );
      expect(web.body.data.resourceServerCreate.userErrors).toEqual([
        { field: ['input', 'tokenLifetimeForWeb'], message: 'must not exceed tokenLifetime (600 seconds)', code: 'INVALID' },
      ]);

      const client = await server.gql(CLIENT_CREATE, {
        input: {
          name: 'x',
          appType: 'REGULAR_WEB',
          idTokenLifetime: 59,
          refreshToken: { leeway: 3601, absoluteLifetime: 600, idleLifetime: 601 },
        },
      });
      expect(client.body.data.clientCreate.userErrors).toEqual([
        { field: ['input', 'idTokenLifetime'], message: 'must be a whole number of seconds from 60 to 2592000', code: 'INVALID' },
        { field: ['input', 'refreshToken', 'leeway'], message: 'must be a whole number of seconds from 0 to 3600', code: 'INVALID' },
        {
          field: ['input', 'refreshToken', 'idleLifetime'],
          message: 'must be a whole number of seconds from 60 to 600 (at most absoluteLifetime)',
          code: 'INVALID',
        },
      ]);
    });

    it('in the description of every lifetime and expiry field and argument', async () => {
      const res = await server.gql(
        `{ __schema { types { name inputFields { name description } fields { name description args { name description } } } } }`,
      );
      const described: [string, string | null][] = [];
      for (const type of res.body.data.__schema.types as any[]) {
        if (type.name.startsWith('__')) continue;
        for (const field of [...(type.fields ?? []), ...(type.inputFields ?? [])]) {
          described.push([`${type.name}.${field.name}`, field.description]);
          for (const arg of field.args ?? []) described.push([`${type.name}.${field.name}(${arg.name})`, arg.description]);
        }
      }
      const durations = described.filter(([name]) => /(Lifetime|Lifetime\w+|leeway|ExpiresIn|expiresIn)(\(|$)/.test(name));
      expect(durations.map(([name]) => name)).toEqual(
        expect.arrayContaining([
          'ResourceServer.tokenLifetime',
          'ResourceServerCreateInput.tokenLifetime',
          'ResourceServerUpdateInput.tokenLifetime',
          'ResourceServerUpdateInput.tokenLifetimeForWeb',
          'ClientUpdateInput.idTokenLifetime',
          'ClientRefreshTokenInput.idleLifetime',
        ]),
      );
      expect(durations.filter(([, description]) => !/\bseconds\b/i.test(description ?? ''))).toEqual([]);
    });
  });
});
