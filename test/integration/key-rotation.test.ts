import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, JWK, jwtVerify } from 'jose';
import { ApiFixture, basicAuth, ClientFixture, fixtures, globalId, uuidOf, userErrors } from '../helpers/fixtures';
import { startTestServer, TestServer, BOOTSTRAP } from '../helpers/test-app';

type Api = ApiFixture;
/** Every client these tests authenticate is confidential. */
type Client = ClientFixture & { clientSecret: string };

type KeyState = 'CURRENT' | 'NEXT' | 'PREVIOUS' | 'REVOKED';
interface SigningKey {
  id: string;
  kid: string;
  algorithm: string;
  state: KeyState;
  createdAt: string;
  activatedAt: string | null;
  rotatedAt: string | null;
  revokedAt: string | null;
  publicJwk: Record<string, unknown>;
  thumbprint: string;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const KEY_FIELDS = 'id kid algorithm state createdAt activatedAt rotatedAt revokedAt publicJwk thumbprint';
const ROTATE = `mutation($algorithm: SigningAlgorithm!) {
  signingKeyRotate(algorithm: $algorithm) {
    current { ${KEY_FIELDS} } previous { ${KEY_FIELDS} } next { ${KEY_FIELDS} }
    userErrors { field code message }
  }
}`;
const REVOKE = `mutation($kid: String!) { signingKeyRevoke(kid: $kid) { signingKey { ${KEY_FIELDS} } userErrors { field code message } } }`;
const SECRET_ROTATE = `mutation($id: ID!, $input: ResourceServerSigningSecretRotateInput) {
  resourceServerSigningSecretRotate(id: $id, input: $input) {
    resourceServer { id identifier signingAlgorithm } signingSecret userErrors { field code message }
  }
}`;
const LIST = `query($filter: SigningKeyFilter, $first: Int, $after: String) {
  signingKeys(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${KEY_FIELDS} }
  }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Signing key rotation and revocation', () => {
  let server: TestServer;

  /**
   * A Management API token fetched now. Rotating and revoking RS256 keys kills tokens signed by the
   * revoked key, including the one `server.gql` caches, so every admin call here uses a fresh one.
   */
  async function freshManagementToken(): Promise<string> {
    const res = await server.token(
      { grant_type: 'client_credentials', audience: server.config.managementAudience },
      { authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret) },
    );
    if (res.status !== 200) throw new Error(`management token: ${JSON.stringify(res.body)}`);
    return res.body.access_token;
  }
  const admin = async (query: string, variables?: Record<string, unknown>) => server.gql(query, variables, await freshManagementToken());
  /** The test server, but its default GraphQL token is always fresh (see above). */
  const adminServer = (): TestServer => ({
    ...server,
    gql: ((query: string, variables?: Record<string, unknown>, token?: string | null) =>
      token === undefined ? admin(query, variables) : server.gql(query, variables, token)) as TestServer['gql'],
  });
  const { gqlData, createApi, createClient: createFixtureClient, createGrant, issueToken } = fixtures(adminServer, 'rotation');
  const createClient = (input: Record<string, unknown> = {}) => createFixtureClient(input) as Promise<Client>;

  /** An API whose scopes include `introspect`, so a client granted it can introspect its tokens. */
  const createIntrospectableApi = (signingAlgorithm: string) =>
    createApi({ signingAlgorithm, scopes: [{ value: 'read:x' }, { value: 'introspect' }] });

  async function rotate(algorithm: string, token?: string) {
    const res = await server.gql(ROTATE, { algorithm }, token ?? (await freshManagementToken()));
    if (res.status !== 200 || res.body.errors) throw new Error(JSON.stringify(res.body));
    return res.body.data.signingKeyRotate as {
      current: SigningKey | null;
      previous: SigningKey | null;
      next: SigningKey | null;
      userErrors: unknown[];
    };
  }
  async function revoke(kid: string) {
    const data = await gqlData(REVOKE, { kid });
    return data.signingKeyRevoke as { signingKey: SigningKey | null; userErrors: unknown[] };
  }
  async function listKeys(filter?: { algorithm?: string; state?: KeyState }): Promise<{ totalCount: number; nodes: SigningKey[] }> {
    const data = await gqlData(LIST, { filter, first: 100 });
    return data.signingKeys;
  }
  /** One algorithm's ring, by state. */
  async function ring(algorithm: string) {
    const { nodes } = await listKeys({ algorithm });
    const of = (state: KeyState) => nodes.filter((k) => k.state === state);
    expect(of('CURRENT')).toHaveLength(1);
    expect(of('NEXT')).toHaveLength(1);
    return { current: of('CURRENT')[0], next: of('NEXT')[0], previous: of('PREVIOUS'), revoked: of('REVOKED'), all: nodes };
  }
  async function jwksKids(): Promise<string[]> {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  }

  const issue = (client: Client, api: Api): Promise<string> => issueToken(client, api);
  const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

  /** POST /oauth/introspect as `caller` (by default the resource server's client, granted `introspect`). */
  async function introspect(token: string, caller: Client = resourceServerClient) {
    const response = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(caller.clientId, caller.clientSecret) },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { active: boolean; [claim: string]: unknown };
  }
  async function expectActive(token: string, api: Api) {
    const body = await introspect(token);
    expect(body).toMatchObject({ active: true, aud: api.identifier, client_id: app.clientId, token_type: 'Bearer' });
  }
  async function expectInactive(token: string) {
    expect(await introspect(token)).toEqual({ active: false });
  }

  /** The client apps get tokens with; the resource server's own client, which may only introspect. */
  let app: Client;
  let resourceServerClient: Client;
  let rsApi: Api;
  let esApi: Api;

  async function authorize(api: Api) {
    await createGrant(app, api, ['read:x']);
    await createGrant(resourceServerClient, api, ['introspect']);
  }

  beforeAll(async () => {
    server = await startTestServer();
    app = await createClient();
    resourceServerClient = await createClient();
    rsApi = await createIntrospectableApi('RS256');
    esApi = await createIntrospectableApi('ES256');
    for (const api of [rsApi, esApi]) await authorize(api);
  });
  afterAll(async () => {
    await server.close();
  });

  /** A Management API token holding exactly `scopes` (built with fresh admin tokens, unlike server.managementToken). */
  async function scopedToken(scopes: string[]): Promise<string> {
    const client = await createClient();
    const data = await gqlData(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
      identifier: server.config.managementAudience,
    });
    await createGrant(client, data.resourceServer, scopes);
    const res = await server.token(
      { grant_type: 'client_credentials', audience: server.config.managementAudience },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    return res.body.access_token;
  }

  // Runs first: the rings are as the server made them (RS256 at start, ES256 with its first API).
  describe('signingKeys query', () => {
    it('lists each ring with one CURRENT and one NEXT key, public parts only', async () => {
      const { totalCount, nodes } = await listKeys();
      expect(totalCount).toBe(4);
      expect(nodes.map((k) => `${k.algorithm}:${k.state}`).sort()).toEqual(['ES256:CURRENT', 'ES256:NEXT', 'RS256:CURRENT', 'RS256:NEXT']);
      for (const key of nodes) {
        expect(uuidOf(key.id)).toMatch(/^[0-9a-f-]{36}$/);
        expect(key.id).toBe(globalId('SigningKey', uuidOf(key.id)));
        // The public JWK carries its kid, use and alg, and no private member at all.
        expect(key.publicJwk).toMatchObject({ kid: key.kid, use: 'sig', alg: key.algorithm });
        for (const member of PRIVATE_MEMBERS) expect(key.publicJwk).not.toHaveProperty(member);
        expect(key.publicJwk.kty).toBe(key.algorithm === 'RS256' ? 'RSA' : 'EC');
        // RFC 7638 SHA-256 thumbprint, computed independently.
        expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk as JWK, 'sha256'));
        expect(new Date(key.createdAt).toISOString()).toBe(key.createdAt);
        expect(key.rotatedAt).toBeNull();
        expect(key.revokedAt).toBeNull();
        // Only the CURRENT key has been activated.
        if (key.state === 'CURRENT')
          expect(new Date(key.activatedAt!).getTime()).toBeGreaterThanOrEqual(new Date(key.createdAt).getTime() - 1000);
        else expect(key.activatedAt).toBeNull();
      }
      expect(new Set(nodes.map((k) => k.kid)).size).toBe(4);
    });

    it('publishes exactly the listed (unrevoked) keys in the JWKS, with the same public JWK', async () => {
      const { nodes } = await listKeys();
      const response = await fetch(`${server.url}/.well-known/jwks.json`);
      const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual(nodes.map((k) => k.kid).sort());
      for (const key of nodes) expect(jwks.keys.find((k) => k.kid === key.kid)).toEqual(key.publicJwk);
    });

    it('filters by algorithm and state and counts the filtered list', async () => {
      const rs = await listKeys({ algorithm: 'RS256' });
      expect(rs.totalCount).toBe(2);
      expect(rs.nodes.every((k) => k.algorithm === 'RS256')).toBe(true);
      const current = await listKeys({ state: 'CURRENT' });
      expect(current.totalCount).toBe(2);
      expect(current.nodes.map((k) => k.algorithm).sort()).toEqual(['ES256', 'RS256']);
      const esNext = await listKeys({ algorithm: 'ES256', state: 'NEXT' });
      expect(esNext.totalCount).toBe(1);
      expect(esNext.nodes[0]).toMatchObject({ algorithm: 'ES256', state: 'NEXT' });
      expect((await listKeys({ state: 'REVOKED' })).totalCount).toBe(0);
      expect(await listKeys({ algorithm: 'EdDSA' })).toMatchObject({ totalCount: 0, nodes: [] });
    });

    it('paginates with cursors, oldest first', async () => {
      const all = (await listKeys()).nodes;
      const first = (await gqlData(LIST, { first: 3 })).signingKeys;
      expect(first.nodes).toEqual(all.slice(0, 3));
      expect(first.pageInfo.hasNextPage).toBe(true);
      const rest = (await gqlData(LIST, { first: 3, after: first.pageInfo.endCursor })).signingKeys;
      expect(rest.nodes).toEqual(all.slice(3));
      expect(rest.pageInfo.hasNextPage).toBe(false);
      const created = all.map((k) => new Date(k.createdAt).getTime());
      expect(created).toEqual([...created].sort((a, b) => a - b));
    });

    it('resolves a key through node(id)', async () => {
      const key = (await listKeys({ algorithm: 'ES256', state: 'CURRENT' })).nodes[0];
      const data = await gqlData(`query($id: ID!) { node(id: $id) { __typename ... on SigningKey { ${KEY_FIELDS} } } }`, { id: key.id });
      expect(data.node).toEqual({ __typename: 'SigningKey', ...key });
    });
  });

  describe('scopes', () => {
    function expectForbidden(res: { status: number; body: any }, field: string, missing: string[]) {
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].path).toEqual([field]);
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', missingScopes: missing });
    }

    it('signingKeyRotate needs both create:signing_keys and update:signing_keys', async () => {
      const before = (await listKeys()).nodes;
      expectForbidden(await server.gql(ROTATE, { algorithm: 'RS256' }, await scopedToken(['create:signing_keys'])), 'signingKeyRotate', [
        'update:signing_keys',
      ]);
      expectForbidden(
        await server.gql(ROTATE, { algorithm: 'RS256' }, await scopedToken(['update:signing_keys', 'read:signing_keys'])),
        'signingKeyRotate',
        ['create:signing_keys'],
      );
      expectForbidden(await server.gql(ROTATE, { algorithm: 'ES256' }, await scopedToken(['read:signing_keys'])), 'signingKeyRotate', [
        'create:signing_keys',
        'update:signing_keys',
      ]);
      // Nothing moved.
      expect((await listKeys()).nodes).toEqual(before);
      // With both scopes the mutation runs (PS256 has no ring yet: a user error, nothing rotated).
      const both = await scopedToken(['create:signing_keys', 'update:signing_keys']);
      expect(await rotate('PS256', both)).toEqual({
        current: null,
        previous: null,
        next: null,
        userErrors: userErrors([['algorithm'], 'NOT_FOUND']),
      });
    });

    it('signingKeyRevoke needs update:signing_keys; signingKeys needs read:signing_keys', async () => {
      const kid = 'no-such-kid';
      expectForbidden(
        await server.gql(REVOKE, { kid }, await scopedToken(['create:signing_keys', 'read:signing_keys'])),
        'signingKeyRevoke',
        ['update:signing_keys'],
      );
      const updateOnly = await scopedToken(['update:signing_keys']);
      const allowed = await server.gql(REVOKE, { kid }, updateOnly);
      expect(allowed.body).toEqual({ data: { signingKeyRevoke: { signingKey: null, userErrors: userErrors([['kid'], 'NOT_FOUND']) } } });
      expectForbidden(await server.gql(LIST, {}, updateOnly), 'signingKeys', ['read:signing_keys']);
    });
  });

  describe('user errors', () => {
    it('signingKeyRotate: HS256 is INVALID, an algorithm without a ring is NOT_FOUND', async () => {
      expect(await rotate('HS256')).toEqual({
        current: null,
        previous: null,
        next: null,
        userErrors: userErrors([['algorithm'], 'INVALID']),
      });
      // No PS256 API exists, so no PS256 ring: rotating does not create one.
      expect(await rotate('PS256')).toEqual({
        current: null,
        previous: null,
        next: null,
        userErrors: userErrors([['algorithm'], 'NOT_FOUND']),
      });
      expect((await listKeys({ algorithm: 'PS256' })).totalCount).toBe(0);
      // Not an enum value: a GraphQL validation error, not a user error.
      const res = await admin(ROTATE, { algorithm: 'none' });
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('signingKeyRevoke: CURRENT and NEXT keys are INVALID, an unknown kid is NOT_FOUND', async () => {
      const es = await ring('ES256');
      for (const kid of [es.current.kid, es.next.kid]) {
        expect(await revoke(kid)).toEqual({ signingKey: null, userErrors: userErrors([['kid'], 'INVALID']) });
      }
      for (const kid of ['unknown', '', 'x'.repeat(5000)]) {
        expect(await revoke(kid)).toEqual({ signingKey: null, userErrors: userErrors([['kid'], 'NOT_FOUND']) });
      }
      // Nothing changed: the ring and the JWKS still hold both keys.
      expect(await ring('ES256')).toEqual(es);
      expect(await jwksKids()).toEqual(expect.arrayContaining([es.current.kid, es.next.kid]));
    });

    it('LIMIT_EXCEEDED after 3 previous keys, until one is revoked', async () => {
      const edApi = await createIntrospectableApi('EdDSA');
      await authorize(edApi);
      for (let i = 0; i < 3; i++) expect((await rotate('EdDSA')).userErrors).toEqual([]);
      const full = await ring('EdDSA');
      expect(full.previous).toHaveLength(3);

      expect(await rotate('EdDSA')).toEqual({
        current: null,
        previous: null,
        next: null,
        userErrors: userErrors([['algorithm'], 'LIMIT_EXCEEDED']),
      });
      // The refused rotation changed nothing, and all 5 keys are still published.
      expect(await ring('EdDSA')).toEqual(full);
      expect(await jwksKids()).toEqual(expect.arrayContaining(full.all.map((k) => k.kid)));
      expect(kidOf(await issue(app, edApi))).toBe(full.current.kid);

      expect((await revoke(full.previous[0].kid)).userErrors).toEqual([]);
      const rotated = await rotate('EdDSA');
      expect(rotated.userErrors).toEqual([]);
      expect(rotated.previous!.kid).toBe(full.current.kid);
      expect((await ring('EdDSA')).previous).toHaveLength(3);
    });
  });

  // The done-when test of key rotation.
  describe('rotation while a resource server verifies through a cached remote JWKS', () => {
    it('refuses no token at any point of rotate → revoke-previous (RS256 and ES256)', async () => {
      const apis = { RS256: rsApi, ES256: esApi } as const;
      const algorithms = Object.keys(apis) as (keyof typeof apis)[];
      const issuer = server.url;

      // One JWKS instance for the whole test, as a resource server keeps one: that is the cache.
      let jwksFetches = 0;
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`), {
        [customFetch]: (url, options) => {
          jwksFetches++;
          return fetch(url, options);
        },
      });
      const failures: string[] = [];
      const verify = async (algorithm: keyof typeof apis, token: string, when: string) => {
        try {
          const { protectedHeader } = await jwtVerify(token, jwks, {
            issuer,
            audience: apis[algorithm].identifier,
            algorithms: [algorithm],
          });
          expect(protectedHeader.alg).toBe(algorithm);
        } catch (error) {
          failures.push(`${when} ${algorithm} kid=${kidOf(token)}: ${(error as Error).message}`);
        }
      };

      // Before rotation; this first verification fills the cache.
      const before = {} as Record<keyof typeof apis, { token: string; ring: Awaited<ReturnType<typeof ring>> }>;
      for (const algorithm of algorithms) {
        const token = await issue(app, apis[algorithm]);
        before[algorithm] = { token, ring: await ring(algorithm) };
        expect(kidOf(token)).toBe(before[algorithm].ring.current.kid);
        await verify(algorithm, token, 'before rotation');
      }
      expect(failures).toEqual([]);
      expect(jwksFetches).toBe(1);

      // Meanwhile, apps keep getting tokens and the resource server keeps verifying them.
      let running = true;
      let verified = 0;
      const issuedDuringChanges: { algorithm: keyof typeof apis; token: string }[] = [];
      const traffic = async () => {
        while (running) {
          for (const algorithm of algorithms) {
            const token = await issue(app, apis[algorithm]);
            await verify(algorithm, token, 'during changes');
            issuedDuringChanges.push({ algorithm, token });
            verified++;
          }
        }
      };
      const loops = [traffic(), traffic()];

      const revokedKids: string[] = [];
      try {
        for (const algorithm of algorithms) {
          const { ring: old, token: oldToken } = before[algorithm];
          const rotated = await rotate(algorithm);
          expect(rotated.userErrors).toEqual([]);
          expect(rotated.current!.kid).toBe(old.next.kid);
          expect(rotated.previous!.kid).toBe(old.current.kid);

          // Right after the rotation: new tokens carry the new kid and verify from the cache.
          const afterRotate = await issue(app, apis[algorithm]);
          expect(kidOf(afterRotate)).toBe(old.next.kid);
          await verify(algorithm, afterRotate, 'after rotate');
          // A token of the now-PREVIOUS key still verifies, locally and by introspection.
          await verify(algorithm, oldToken, 'old token after rotate');
          await expectActive(oldToken, apis[algorithm]);

          const revoked = await revoke(old.current.kid);
          expect(revoked.userErrors).toEqual([]);
          revokedKids.push(old.current.kid);

          // After revoking the previous key: new tokens are unaffected.
          const afterRevoke = await issue(app, apis[algorithm]);
          expect(kidOf(afterRevoke)).toBe(old.next.kid);
          await verify(algorithm, afterRevoke, 'after revoke');
          await expectActive(afterRevoke, apis[algorithm]);
        }
        // Let the traffic run a little past the last revocation.
        const target = verified + 10;
        while (verified < target && failures.length === 0) await sleep(10);
      } finally {
        running = false;
        await Promise.all(loops);
      }

      expect(failures).toEqual([]);
      expect(verified).toBeGreaterThan(10);
      // The NEXT key was published before it signed: the cached set never had to refetch.
      expect(jwksFetches).toBe(1);

      // The server itself refused only tokens of the revoked keys.
      for (const { algorithm, token } of issuedDuringChanges.slice(-40)) {
        if (revokedKids.includes(kidOf(token))) await expectInactive(token);
        else await expectActive(token, apis[algorithm]);
      }

      // Tokens of the revoked keys: refused by introspection, and by any verifier that fetches the JWKS now.
      const published = await jwksKids();
      const freshJwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      for (const algorithm of algorithms) {
        const { token } = before[algorithm];
        expect(published).not.toContain(kidOf(token));
        await expectInactive(token);
        await expect(jwtVerify(token, freshJwks, { issuer, audience: apis[algorithm].identifier })).rejects.toBeInstanceOf(
          errors.JWKSNoMatchingKey,
        );
      }
    });
  });

  describe('ring states after a rotation', () => {
    it('moves NEXT → CURRENT → PREVIOUS with timestamps, and publishes the new NEXT at once', async () => {
      const old = await ring('ES256');
      const startedAt = Date.now();
      const rotated = await rotate('ES256');
      const endedAt = Date.now();
      expect(rotated.userErrors).toEqual([]);
      const within = (iso: string | null) => {
        expect(iso).not.toBeNull();
        const t = new Date(iso!).getTime();
        expect(t).toBeGreaterThanOrEqual(startedAt - 1000);
        expect(t).toBeLessThanOrEqual(endedAt + 1000);
      };

      // The former NEXT signs from now on: same key, now activated.
      expect(rotated.current).toMatchObject({ ...old.next, state: 'CURRENT', activatedAt: expect.any(String) });
      within(rotated.current!.activatedAt);
      // The former CURRENT keeps its activation time and gets a rotation time.
      expect(rotated.previous).toMatchObject({ ...old.current, state: 'PREVIOUS', rotatedAt: expect.any(String) });
      within(rotated.previous!.rotatedAt);
      // A brand new NEXT.
      const next = rotated.next!;
      expect(next).toMatchObject({ algorithm: 'ES256', state: 'NEXT', activatedAt: null, rotatedAt: null, revokedAt: null });
      within(next.createdAt);
      expect(old.all.map((k) => k.kid)).not.toContain(next.kid);
      expect(next.thumbprint).toBe(await calculateJwkThumbprint(next.publicJwk as JWK, 'sha256'));
      for (const member of PRIVATE_MEMBERS) expect(next.publicJwk).not.toHaveProperty(member);

      // The payload is what the query now says.
      const now = await ring('ES256');
      expect(now.current).toEqual(rotated.current);
      expect(now.next).toEqual(rotated.next);
      expect(now.previous).toContainEqual(rotated.previous);
      expect((await listKeys({ algorithm: 'ES256', state: 'PREVIOUS' })).nodes).toContainEqual(rotated.previous);

      // JWKS: CURRENT + NEXT + PREVIOUS, never REVOKED.
      const kids = await jwksKids();
      for (const key of [now.current, now.next, ...now.previous]) expect(kids).toContain(key.kid);
      for (const key of now.revoked) expect(kids).not.toContain(key.kid);

      // The first token after the rotation is signed by the new current key.
      expect(kidOf(await issue(app, esApi))).toBe(old.next.kid);
    });

    it('a revoked key is REVOKED with revokedAt, leaves the JWKS and cannot be revoked again', async () => {
      const { previous } = await ring('ES256');
      const target = previous[previous.length - 1];
      const startedAt = Date.now();
      const revoked = await revoke(target.kid);
      expect(revoked.userErrors).toEqual([]);
      expect(revoked.signingKey).toEqual({ ...target, state: 'REVOKED', revokedAt: expect.any(String) });
      expect(new Date(revoked.signingKey!.revokedAt!).getTime()).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(await jwksKids()).not.toContain(target.kid);
      // Its private key is erased.
      const rows = await server.db.query<{ private_key_sealed: string }>('SELECT private_key_sealed FROM signing_keys WHERE kid = $1', [
        target.kid,
      ]);
      expect(rows).toEqual([{ private_key_sealed: '' }]);

      expect(await revoke(target.kid)).toEqual({ signingKey: null, userErrors: userErrors([['kid'], 'INVALID']) });
    });
  });

  describe('Management API tokens', () => {
    const QUERY = `{ signingKeys(first: 1) { totalCount } }`;

    it('a token of a revoked key gets 401; a fresh one (new current key) works', async () => {
      const oldToken = await freshManagementToken();
      const old = await ring('RS256');
      expect(kidOf(oldToken)).toBe(old.current.kid);
      expect((await server.gql(QUERY, undefined, oldToken)).status).toBe(200);

      expect((await rotate('RS256')).userErrors).toEqual([]);
      // Rotated out but not revoked: still accepted.
      const stillValid = await server.gql(QUERY, undefined, oldToken);
      expect(stillValid.status).toBe(200);
      expect(stillValid.body.errors).toBeUndefined();

      expect((await revoke(old.current.kid)).userErrors).toEqual([]);
      const refused = await server.gql(QUERY, undefined, oldToken);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
      expect(refused.body.data).toBeUndefined();
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      const fresh = await freshManagementToken();
      expect(kidOf(fresh)).toBe(old.next.kid);
      const ok = await server.gql(QUERY, undefined, fresh);
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
    });
  });

  describe('a revoked key never comes back', () => {
    it('further rotations only ever generate new kids; revoked keys stay REVOKED and unpublished', async () => {
      const revokedBefore = (await listKeys({ state: 'REVOKED' })).nodes;
      expect(revokedBefore.length).toBeGreaterThanOrEqual(4);
      const seenKids = new Set((await listKeys()).nodes.map((k) => k.kid));

      for (const algorithm of ['RS256', 'ES256', 'EdDSA']) {
        for (let i = 0; i < 3; i++) {
          // Keep room in the ring: revoke the oldest previous key when it is full.
          const { previous } = await ring(algorithm);
          if (previous.length >= 3) expect((await revoke(previous[0].kid)).userErrors).toEqual([]);
          const rotated = await rotate(algorithm);
          expect(rotated.userErrors).toEqual([]);
          expect(seenKids.has(rotated.next!.kid)).toBe(false);
          seenKids.add(rotated.next!.kid);
        }
      }

      const all = (await listKeys()).nodes;
      expect(new Set(all.map((k) => k.kid)).size).toBe(all.length);
      const published = await jwksKids();
      for (const key of revokedBefore) {
        // Same row, same revocation time: nothing brought it back.
        expect(all.find((k) => k.kid === key.kid)).toEqual(key);
        expect(published).not.toContain(key.kid);
      }
      // No token is signed by a revoked kid.
      const revokedKids = (await listKeys({ state: 'REVOKED' })).nodes.map((k) => k.kid);
      for (const api of [rsApi, esApi]) expect(revokedKids).not.toContain(kidOf(await issue(app, api)));
    });
  });

  describe('HS256 signing secret rotation', () => {
    let hsApi: Api;

    async function rotateSecret(api: Api, input?: Record<string, unknown>) {
      const data = await gqlData(SECRET_ROTATE, { id: api.id, input });
      const payload = data.resourceServerSigningSecretRotate as {
        resourceServer: { id: string; identifier: string; signingAlgorithm: string } | null;
        signingSecret: string | null;
        userErrors: unknown[];
      };
      // Remember the API's current secret at once, so a failed test does not derail the next ones.
      if (payload.signingSecret) api.signingSecret = payload.signingSecret;
      return payload;
    }
    const hmac = (secret: string) => new TextEncoder().encode(secret);
    async function expectSignedWith(token: string, secret: string, api: Api) {
      const { protectedHeader } = await jwtVerify(token, hmac(secret), {
        issuer: server.url,
        audience: api.identifier,
        algorithms: ['HS256'],
      });
      expect(protectedHeader.alg).toBe('HS256');
    }
    async function secretRows(api: Api) {
      return server.db.query<{ kid: string; expires_at: Date | null }>(
        'SELECT kid, expires_at FROM resource_server_secrets WHERE resource_server_id = $1',
        [uuidOf(api.id)],
      );
    }

    beforeAll(async () => {
      hsApi = await createIntrospectableApi('HS256');
      await authorize(hsApi);
    });

    it('grace 0 (default): old-secret tokens are refused at once; new tokens use the new secret', async () => {
      const oldSecret = hsApi.signingSecret!;
      const oldToken = await issue(app, hsApi);
      await expectSignedWith(oldToken, oldSecret, hsApi);
      await expectActive(oldToken, hsApi);

      const rotated = await rotateSecret(hsApi);
      expect(rotated.userErrors).toEqual([]);
      expect(rotated.resourceServer).toEqual({ id: hsApi.id, identifier: hsApi.identifier, signingAlgorithm: 'HS256' });
      const secret = rotated.signingSecret!;
      expect(typeof secret).toBe('string');
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(secret).not.toBe(oldSecret);

      await expectInactive(oldToken);
      const newToken = await issue(app, hsApi);
      expect(kidOf(newToken)).not.toBe(kidOf(oldToken));
      await expectSignedWith(newToken, secret, hsApi);
      await expect(expectSignedWith(newToken, oldSecret, hsApi)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
      await expectActive(newToken, hsApi);
      expect(await secretRows(hsApi)).toHaveLength(1);

      // An explicit 0 is the same.
      const again = await rotateSecret(hsApi, { previousSecretExpiresIn: 0 });
      expect(again.userErrors).toEqual([]);
      await expectInactive(newToken);
      await expectSignedWith(await issue(app, hsApi), again.signingSecret!, hsApi);
    });

    // The same rule, repeated: the instance that rotated must not wait for its own change notice.
    it('the very next request after a rotation refuses the old secret and signs with the new one', async () => {
      const stale: string[] = [];
      for (let i = 0; i < 10; i++) {
        const before = await issue(app, hsApi);
        await expectActive(before, hsApi); // the old secret is now cached, as on a busy server
        const rotated = await rotateSecret(hsApi);
        expect(rotated.userErrors).toEqual([]);
        if ((await introspect(before)).active) stale.push(`round ${i}: old-secret token still active`);
        const after = await issue(app, hsApi);
        try {
          await expectSignedWith(after, rotated.signingSecret!, hsApi);
        } catch {
          stale.push(`round ${i}: new token not signed with the new secret`);
        }
      }
      expect(stale).toEqual([]);
    });

    it('grace 2 s: old-secret tokens stay active about 2 s, then are refused', async () => {
      const oldToken = await issue(app, hsApi);
      await expectActive(oldToken, hsApi);
      const startedAt = Date.now();
      const rotated = await rotateSecret(hsApi, { previousSecretExpiresIn: 2 });
      expect(rotated.userErrors).toEqual([]);

      // During the grace period both secrets verify; new tokens use the new one.
      await expectActive(oldToken, hsApi);
      const newToken = await issue(app, hsApi);
      await expectSignedWith(newToken, rotated.signingSecret!, hsApi);
      await expectActive(newToken, hsApi);
      const rows = await secretRows(hsApi);
      expect(rows).toHaveLength(2);
      const expiry = rows.find((r) => r.expires_at !== null)!.expires_at!;
      expect(new Date(expiry).getTime() - startedAt).toBeGreaterThanOrEqual(1500);
      expect(new Date(expiry).getTime() - startedAt).toBeLessThanOrEqual(3000);

      // Poll until the old token is refused.
      let lastActiveAt = Date.now();
      while ((await introspect(oldToken)).active) {
        lastActiveAt = Date.now();
        if (lastActiveAt - startedAt > 10_000) throw new Error('the old secret still verifies 10 s after a 2 s grace period');
        await sleep(100);
      }
      const refusedAt = Date.now();
      expect(lastActiveAt - startedAt).toBeLessThan(3_000);
      expect(refusedAt - startedAt).toBeGreaterThanOrEqual(1_900);
      await expectInactive(oldToken);
      // The new secret is unaffected.
      await expectActive(newToken, hsApi);
    });

    it('a second rotation drops the older secret still in its grace period (at most two)', async () => {
      const first = await issue(app, hsApi);
      const r1 = await rotateSecret(hsApi, { previousSecretExpiresIn: 600 });
      expect(r1.userErrors).toEqual([]);
      const second = await issue(app, hsApi);
      await expectSignedWith(second, r1.signingSecret!, hsApi);
      await expectActive(first, hsApi);

      const r2 = await rotateSecret(hsApi, { previousSecretExpiresIn: 600 });
      expect(r2.userErrors).toEqual([]);
      const third = await issue(app, hsApi);
      await expectSignedWith(third, r2.signingSecret!, hsApi);
      await expectInactive(first);
      await expectActive(second, hsApi);
      await expectActive(third, hsApi);
      expect(await secretRows(hsApi)).toHaveLength(2);

      // A rotation without grace ends every older secret.
      const r3 = await rotateSecret(hsApi);
      expect(r3.userErrors).toEqual([]);
      await expectInactive(second);
      await expectInactive(third);
      await expectSignedWith(await issue(app, hsApi), r3.signingSecret!, hsApi);
      expect(await secretRows(hsApi)).toHaveLength(1);
    });

    it('previousSecretExpiresIn is 0 to 2592000 seconds', async () => {
      const token = await issue(app, hsApi);
      for (const value of [-1, 2_592_001]) {
        expect(await rotateSecret(hsApi, { previousSecretExpiresIn: value })).toEqual({
          resourceServer: null,
          signingSecret: null,
          userErrors: userErrors([['input', 'previousSecretExpiresIn'], 'INVALID']),
        });
      }
      // Refused rotations changed nothing.
      await expectActive(token, hsApi);
      await expectSignedWith(await issue(app, hsApi), hsApi.signingSecret!, hsApi);

      const max = await rotateSecret(hsApi, { previousSecretExpiresIn: 2_592_000 });
      expect(max.userErrors).toEqual([]);
      await expectActive(token, hsApi);
      const rows = await secretRows(hsApi);
      const expiry = new Date(rows.find((r) => r.expires_at !== null)!.expires_at!).getTime();
      expect(Math.abs(expiry - (Date.now() + 2_592_000_000))).toBeLessThan(60_000);
    });

    it('is INVALID for an API that is not HS256, NOT_FOUND for an unknown API', async () => {
      const before = await ring('RS256');
      expect(await rotateSecret(rsApi)).toEqual({ resourceServer: null, signingSecret: null, userErrors: userErrors([['id'], 'INVALID']) });
      expect(await ring('RS256')).toEqual(before);
      expect(await rotateSecret({ ...rsApi, id: globalId('ResourceServer', randomUUID()) })).toEqual({
        resourceServer: null,
        signingSecret: null,
        userErrors: userErrors([['id'], 'NOT_FOUND']),
      });
    });

    it('needs update:resource_servers', async () => {
      const token = await scopedToken(['read:resource_servers', 'create:signing_keys', 'update:signing_keys']);
      const res = await server.gql(SECRET_ROTATE, { id: hsApi.id }, token);
      expect(res.body.data).toBeNull();
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', missingScopes: ['update:resource_servers'] });
      await expectSignedWith(await issue(app, hsApi), hsApi.signingSecret!, hsApi);
    });
  });

  describe('introspection rule', () => {
    it('answers only a caller granted `introspect` on the token API', async () => {
      const token = await issue(app, rsApi);
      await expectActive(token, rsApi);
      // The token's own client holds read:x only.
      expect(await introspect(token, app)).toEqual({ active: false });
    });
  });
});
