import { createRemoteJWKSet, jwtVerify } from 'jose';
import { BOOTSTRAP, startTestServer, TestServer } from '../helpers/test-app';
import {
  assertNoUserErrors,
  clientCredentialsTokenProvider,
  ClientCreateDocument,
  ClientDocument,
  ClientGrantCreateDocument,
  ClientGrantsDocument,
  ClientsDocument,
  AuditEventsDocument,
  SigningKeysDocument,
  NodesDocument,
  ResourceServerClientGrantsDocument,
  ClientClientGrantsDocument,
  createManagementClient,
  getClientCredentialsToken,
  ManagementApiError,
  ManagementClient,
  NodeDocument,
  ResourceServerCreateDocument,
  ResourceServerDocument,
  ResourceServersDocument,
  TokenRequestError,
  UserErrorsError,
  type ResourceServerCreateMutation,
  type UserErrorCode,
} from '../../sdk';

describe('typed SDK against the running server', () => {
  let server: TestServer;
  let client: ManagementClient;

  beforeAll(async () => {
    server = await startTestServer();
    const management = await getClientCredentialsToken({
      issuer: server.url,
      clientId: BOOTSTRAP.clientId,
      clientSecret: BOOTSTRAP.clientSecret,
      audience: server.app.config.managementAudience,
    });
    expect(management.tokenType).toBe('Bearer');
    client = createManagementClient({ url: `${server.url}/graphql`, token: management.accessToken });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('creates an API, a machine client and a grant; the client gets a token the JWKS verifies; queries read them back', async () => {
    const created = await client.request(ResourceServerCreateDocument, {
      input: {
        name: 'Organizer',
        identifier: 'https://sdk-organizer.example/',
        tokenLifetime: 600,
        scopes: [{ value: 'read:appointments', description: 'Read appointments' }, { value: 'write:appointments' }],
      },
    });
    const { resourceServer: api } = assertNoUserErrors(created.resourceServerCreate);
    expect(api).toEqual(
      expect.objectContaining({
        name: 'Organizer',
        identifier: 'https://sdk-organizer.example/',
        isSystem: false,
        signingAlgorithm: 'RS256',
        tokenDialect: 'RFC9068_PROFILE',
        tokenLifetime: 600,
        scopes: [
          { value: 'read:appointments', description: 'Read appointments' },
          { value: 'write:appointments', description: '' },
        ],
      }),
    );
    expect(created.resourceServerCreate.signingSecret).toBeNull();

    const app = assertNoUserErrors(
      (await client.request(ClientCreateDocument, { input: { name: 'Reports job', appType: 'MACHINE_TO_MACHINE' } })).clientCreate,
    );
    expect(app.client).toEqual(
      expect.objectContaining({
        name: 'Reports job',
        appType: 'MACHINE_TO_MACHINE',
        grantTypes: ['CLIENT_CREDENTIALS'],
        tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
      }),
    );
    expect(app.clientSecret).toEqual(expect.stringMatching(/^\S{32,}$/));
    expect(app.client!.secrets).toHaveLength(1);
    expect(app.clientSecret!.endsWith(app.client!.secrets[0].lastFour)).toBe(true);

    const grant = assertNoUserErrors(
      (
        await client.request(ClientGrantCreateDocument, {
          input: { clientId: app.client!.id, resourceServerId: api!.id, scopes: ['read:appointments'] },
        })
      ).clientGrantCreate,
    ).clientGrant!;
    expect(grant).toEqual(
      expect.objectContaining({
        scopes: ['read:appointments'],
        client: { id: app.client!.id, clientId: app.client!.clientId, name: 'Reports job', appType: 'MACHINE_TO_MACHINE' },
        resourceServer: { id: api!.id, identifier: 'https://sdk-organizer.example/', name: 'Organizer' },
      }),
    );

    // The application's token for the API, verified the way a resource server does.
    const token = await getClientCredentialsToken({
      issuer: `${server.url}/`,
      clientId: app.client!.clientId,
      clientSecret: app.clientSecret!,
      audience: 'https://sdk-organizer.example/',
    });
    expect(token).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 600, scope: 'read:appointments' });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token.accessToken, jwks, {
      issuer: server.url,
      audience: 'https://sdk-organizer.example/',
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });
    expect(protectedHeader).toEqual(expect.objectContaining({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) }));
    expect(payload).toEqual(
      expect.objectContaining({ client_id: app.client!.clientId, sub: app.client!.clientId, scope: 'read:appointments' }),
    );
    expect(payload.exp! - payload.iat!).toBe(600);

    // Read back through queries.
    const byIdentifier = await client.request(ResourceServerDocument, { identifier: 'https://sdk-organizer.example/' });
    expect(byIdentifier.resourceServer).toEqual(api);
    const byClientId = await client.request(ClientDocument, { clientId: app.client!.clientId });
    expect(byClientId.client).toEqual(app.client);
    const grants = await client.request(ClientGrantsDocument, { filter: { client: app.client!.id } });
    expect(grants.clientGrants).toEqual({
      totalCount: 1,
      pageInfo: expect.objectContaining({ hasNextPage: false, hasPreviousPage: false }),
      nodes: [grant],
    });
    const node = (await client.request(NodeDocument, { id: api!.id })).node;
    expect(node?.__typename).toBe('ResourceServer');
    if (node?.__typename === 'ResourceServer') expect(node.identifier).toBe('https://sdk-organizer.example/');
    // No variables needed where none is required: the management API and this one.
    const all = await client.request(ResourceServersDocument);
    expect(all.resourceServers.nodes.map((rs) => rs.identifier)).toEqual(
      expect.arrayContaining([server.app.config.managementAudience, 'https://sdk-organizer.example/']),
    );
  });

  it("runs the list queries at their largest page within the server's depth and complexity limits", async () => {
    const page = { first: 100 };
    const lists = await Promise.all([
      client.request(ResourceServersDocument, page).then((d) => d.resourceServers),
      client.request(ClientsDocument, page).then((d) => d.clients),
      client.request(ClientGrantsDocument, page).then((d) => d.clientGrants),
      client.request(SigningKeysDocument, page).then((d) => d.signingKeys),
      client.request(AuditEventsDocument, { last: 100 }).then((d) => d.auditEvents),
    ]);
    for (const list of lists) expect(list.nodes.length).toBe(Math.min(list.totalCount, 100));
    const { resourceServer: api } = await client.request(ResourceServerDocument, { identifier: 'https://sdk-organizer.example/' });
    const perApi = await client.request(ResourceServerClientGrantsDocument, { id: api!.id, ...page });
    expect(perApi.resourceServer?.clientGrants?.totalCount).toBe(1);
    const perClient = await client.request(ClientClientGrantsDocument, {
      id: perApi.resourceServer!.clientGrants!.nodes[0].client!.id,
      ...page,
    });
    expect(perClient.client?.clientGrants?.nodes).toEqual(perApi.resourceServer?.clientGrants?.nodes);
    // One object of each Node type, read back through nodes(ids).
    const ids = lists.map((list) => list.nodes[0].id);
    const { nodes } = await client.request(NodesDocument, { ids });
    expect(nodes.map((n) => n?.__typename)).toEqual(['ResourceServer', 'Client', 'ClientGrant', 'SigningKey', 'AuditEvent']);
    expect(nodes.map((n) => n?.id)).toEqual(ids);
  });

  it('returns a refused mutation as typed userErrors, and assertNoUserErrors throws them', async () => {
    const input = { name: 'Again', identifier: 'https://sdk-taken.example/' };
    assertNoUserErrors((await client.request(ResourceServerCreateDocument, { input })).resourceServerCreate);

    const refused: ResourceServerCreateMutation = await client.request(ResourceServerCreateDocument, { input });
    const codes: UserErrorCode[] = refused.resourceServerCreate.userErrors.map((e) => e.code);
    expect(codes).toEqual(['TAKEN']);
    expect(refused.resourceServerCreate).toEqual({
      resourceServer: null,
      signingSecret: null,
      userErrors: [{ field: ['input', 'identifier'], code: 'TAKEN', message: expect.stringMatching(/\S/) }],
    });
    expect(() => assertNoUserErrors(refused.resourceServerCreate)).toThrow(UserErrorsError);
    try {
      assertNoUserErrors(refused.resourceServerCreate);
    } catch (error) {
      expect((error as UserErrorsError).userErrors).toEqual(refused.resourceServerCreate.userErrors);
      expect((error as UserErrorsError).message).toMatch(/^TAKEN \(input\.identifier\): \S/);
    }
  });

  it('throws a ManagementApiError carrying the HTTP status and extensions.code', async () => {
    const anonymous = createManagementClient({ url: `${server.url}/graphql`, token: 'not-a-token' });
    const error = await anonymous
      .request(ResourceServerDocument, { identifier: 'https://sdk-organizer.example/' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', data: null });
    expect((error as ManagementApiError).errors[0].extensions?.code).toBe('UNAUTHENTICATED');

    // A token without read:clients: the field fails with FORBIDDEN, with the partial data attached.
    const scoped = createManagementClient({ url: `${server.url}/graphql`, token: await server.managementToken(['read:resource_servers']) });
    const forbidden = await scoped.request(ClientDocument, { clientId: 'nobody' }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ManagementApiError);
    expect(forbidden).toMatchObject({ status: 200, code: 'FORBIDDEN', data: { client: null } });
  });

  it('gets tokens through a caching provider and reports token endpoint errors', async () => {
    let calls = 0;
    const getToken = clientCredentialsTokenProvider({
      issuer: server.url,
      clientId: BOOTSTRAP.clientId,
      clientSecret: BOOTSTRAP.clientSecret,
      audience: server.app.config.managementAudience,
      fetch: (...args: Parameters<typeof fetch>) => {
        calls++;
        return fetch(...args);
      },
    });
    const viaProvider = createManagementClient({ url: `${server.url}/graphql`, getToken });
    await viaProvider.request(ResourceServerDocument, { identifier: server.app.config.managementAudience });
    const { resourceServer } = await viaProvider.request(ResourceServerDocument, { identifier: server.app.config.managementAudience });
    expect(resourceServer?.isSystem).toBe(true);
    expect(calls).toBe(1);

    const refused = await getClientCredentialsToken({
      issuer: server.url,
      clientId: BOOTSTRAP.clientId,
      clientSecret: 'wrong-secret-wrong-secret-wrong-secret',
      audience: server.app.config.managementAudience,
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TokenRequestError);
    expect(refused).toMatchObject({ status: 401, error: 'invalid_client' });
  });
});

/** Compile-time checks: `npm run typecheck` fails if the generated types stop catching these. */
export function typingChecks(client: ManagementClient): void {
  // @ts-expect-error appType is an ApplicationType
  void client.request(ClientCreateDocument, { input: { name: 'x', appType: 'ROBOT' } });
  // @ts-expect-error input is required
  void client.request(ResourceServerCreateDocument);
  // @ts-expect-error the payload has no `client` field
  void client.request(ResourceServerDocument, { id: 'x' }).then((data) => data.client);
}
