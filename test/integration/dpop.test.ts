import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import * as oauth from 'oauth4webapi';
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
  type JWTHeaderParameters,
  SignJWT,
} from 'jose';
import { BOOTSTRAP, FakeClock, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, userErrors } from '../helpers/fixtures';
import { authorize } from '../helpers/refresh-flow';
import { accessTokenHash } from '../../src/oauth/dpop/proof';

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'grace@dpop.example';
const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'https://spa.dpop.example/callback';
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const ALGS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'];

interface ProofKey {
  pair: CryptoKeyPair;
  jwk: JWK;
  jkt: string;
}

async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const pair = (await generateKeyPair(alg, { extractable: true })) as CryptoKeyPair;
  const jwk = await exportJWK(pair.publicKey);
  return { pair, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

/** A DPoP proof made by hand (jose), for the refusals the libraries never produce. */
async function proof(
  key: ProofKey,
  claims: Record<string, unknown>,
  header: Partial<JWTHeaderParameters> = {},
  signingKey: CryptoKey | Uint8Array = key.pair.privateKey,
): Promise<string> {
  return new SignJWT({ iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .sign(signingKey);
}

/** RFC 9449 DPoP: openid-client's DPoP handles against the running server, and every refusal. */
describe('DPoP (RFC 9449)', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'dpop');
  let allowed: ApiFixture;
  let required: ApiFixture;
  let none: ApiFixture;
  let machine: ClientFixture;
  let introspector: ClientFixture;
  let tokenUrl: string;

  beforeAll(async () => {
    server = await startTestServer();
    tokenUrl = `${server.url}/oauth/token`;
    allowed = await f.createApi({ proofOfPossession: 'DPOP_ALLOWED', scopes: [{ value: 'read:x' }, { value: 'introspect' }] });
    required = await f.createApi({ proofOfPossession: 'DPOP_REQUIRED' });
    none = await f.createApi();
    machine = await f.createClient();
    introspector = await f.createClient();
    for (const api of [allowed, required, none]) await f.createGrant(machine, api, ['read:x']);
    await f.createGrant(introspector, allowed, ['introspect']);
  });
  afterAll(async () => {
    await server?.close();
  });

  const discover = (clientId: string, auth: oidc.ClientAuth) =>
    oidc.discovery(new URL(server.url), clientId, {}, auth, { execute: [oidc.allowInsecureRequests] });
  const machineConfig = () => discover(machine.clientId, oidc.ClientSecretBasic(machine.clientSecret!));

  /** POST /oauth/token client_credentials as the machine client, with `dpop` headers. */
  const machineToken = (audience: string, dpop?: string | string[]) => {
    const headers = new Headers({
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuth(machine.clientId, machine.clientSecret!),
    });
    for (const value of dpop === undefined ? [] : [dpop].flat()) headers.append('dpop', value);
    return fetch(tokenUrl, { method: 'POST', headers, body: new URLSearchParams({ grant_type: 'client_credentials', audience }) }).then(
      async (res) => ({ status: res.status, headers: res.headers, body: await res.json() }),
    );
  };
  const introspect = async (token: string) => {
    const res = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(introspector.clientId, introspector.clientSecret!),
      },
      body: new URLSearchParams({ token }),
    });
    return res.json();
  };

  it('both discovery documents list dpop_signing_alg_values_supported', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const metadata = await (await fetch(`${server.url}${path}`)).json();
      expect(metadata.dpop_signing_alg_values_supported).toEqual(ALGS);
    }
  });

  it('openid-client: a DPoP-bound client-credentials token (cnf.jkt, token_type DPoP), introspected with its cnf', async () => {
    const config = await machineConfig();
    const key = await proofKey();
    const tokens = await oidc.clientCredentialsGrant(
      config,
      { audience: allowed.identifier },
      { DPoP: oidc.getDPoPHandle(config, key.pair) },
    );
    expect(tokens.token_type).toBe('dpop');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: allowed.identifier });
    expect(payload.cnf).toEqual({ jkt: key.jkt });
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, cnf: { jkt: key.jkt }, token_type: 'DPoP' });

    // Every algorithm of discovery's list is accepted (the libraries sign Ed25519 keys as `Ed25519`, jose here as `EdDSA`).
    for (const alg of ['ES256', 'Ed25519', 'RS256', 'PS256']) {
      const other = await proofKey(alg);
      const bound = await oidc.clientCredentialsGrant(
        config,
        { audience: allowed.identifier },
        { DPoP: oidc.getDPoPHandle(config, other.pair) },
      );
      expect(decodeJwt(bound.access_token).cnf).toEqual({ jkt: other.jkt });
    }
    const ed = await proofKey('EdDSA');
    const eddsa = await machineToken(allowed.identifier, await proof(ed, { htm: 'POST', htu: tokenUrl }, { alg: 'EdDSA' }));
    expect(decodeJwt(eddsa.body.access_token).cnf).toEqual({ jkt: ed.jkt });
  });

  it('DPOP_ALLOWED without a proof and NONE with one issue Bearer tokens without cnf', async () => {
    const plain = await machineToken(allowed.identifier);
    expect(plain.status).toBe(200);
    expect(plain.body.token_type).toBe('Bearer');
    expect(decodeJwt(plain.body.access_token).cnf).toBeUndefined();
    expect(await introspect(plain.body.access_token)).toMatchObject({ active: true, token_type: 'Bearer' });

    const key = await proofKey();
    const ignored = await machineToken(none.identifier, await proof(key, { htm: 'POST', htu: tokenUrl }));
    expect(ignored.status).toBe(200);
    expect(ignored.body.token_type).toBe('Bearer');
    expect(decodeJwt(ignored.body.access_token).cnf).toBeUndefined();
  });

  it('DPOP_REQUIRED: refused without a proof (also to accessTokenIssue), bound with one', async () => {
    const refused = await machineToken(required.identifier);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/DPoP/) });

    const key = await proofKey();
    const bound = await machineToken(required.identifier, await proof(key, { htm: 'POST', htu: tokenUrl }));
    expect(bound.status).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
    expect(decodeJwt(bound.body.access_token).cnf).toEqual({ jkt: key.jkt });

    const issued = await server.gql(
      `mutation($input: AccessTokenIssueInput!) { accessTokenIssue(input: $input) { accessToken userErrors { field code message } } }`,
      { input: { clientId: machine.id, resourceServerId: required.id } },
    );
    expect(issued.body.data.accessTokenIssue).toEqual({
      accessToken: null,
      userErrors: userErrors([['input', 'resourceServerId'], 'INVALID']),
    });
  });

  describe('refusals at the token endpoint (invalid_dpop_proof, 400)', () => {
    let key: ProofKey;
    beforeAll(async () => {
      key = await proofKey();
    });
    const refusedWith = async (dpop: string | string[], description: RegExp) => {
      const res = await machineToken(allowed.identifier, dpop);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(description) });
      expect(res.headers.get('cache-control')).toBe('no-store');
    };

    it('a replayed proof', async () => {
      const once = await proof(key, { htm: 'POST', htu: tokenUrl });
      expect((await machineToken(allowed.identifier, once)).status).toBe(200);
      await refusedWith(once, /already used/);
    });

    it('a proof for another URL or another method', async () => {
      await refusedWith(await proof(key, { htm: 'POST', htu: `${server.url}/oauth/introspect` }), /htu/);
      await refusedWith(await proof(key, { htm: 'POST', htu: 'https://elsewhere.example/oauth/token' }), /htu/);
      await refusedWith(await proof(key, { htm: 'GET', htu: tokenUrl }), /htm/);
      // The query and fragment of htu are not compared (RFC 9449 §4.3).
      expect((await machineToken(allowed.identifier, await proof(key, { htm: 'POST', htu: `${tokenUrl}?a=1#f` }))).status).toBe(200);
    });

    it('a stale or future iat, a missing jti', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refusedWith(await proof(key, { htm: 'POST', htu: tokenUrl, iat: now - 120 }), /iat/);
      await refusedWith(await proof(key, { htm: 'POST', htu: tokenUrl, iat: now + 120 }), /iat/);
      await refusedWith(await proof(key, { htm: 'POST', htu: tokenUrl, jti: undefined }), /jti/);
    });

    it('a bad signature, a private key in jwk, HS256, none, the wrong typ, no jwk', async () => {
      const other = await proofKey();
      await refusedWith(await proof(key, { htm: 'POST', htu: tokenUrl }, {}, other.pair.privateKey), /signed/);
      const privateJwk = await exportJWK(key.pair.privateKey);
      await refusedWith(await proof(key, { htm: 'POST', htu: tokenUrl }, { jwk: privateJwk }), /public key/);
      const secret = new Uint8Array(32).fill(7);
      await refusedWith(
        await proof(
          key,
          { htm: 'POST', htu: tokenUrl },
          { alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as JWK },
          secret,
        ),
        /alg/,
      );
      await refusedWith(await proof(key, { htm: 'POST', htu: tokenUrl }, { alg: 'HS256', jwk: key.jwk }, secret), /alg/);
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url');
      const body = Buffer.from(
        JSON.stringify({ htm: 'POST', htu: tokenUrl, iat: Math.floor(Date.now() / 1000), jti: randomUUID() }),
      ).toString('base64url');
      await refusedWith(`${header}.${body}.x`, /alg/);
      await refusedWith(await proof(key, { htm: 'POST', htu: tokenUrl }, { typ: 'JWT' }), /typ/);
      await refusedWith(await proof(key, { htm: 'POST', htu: tokenUrl }, { jwk: undefined }), /jwk/);
    });

    it('two DPoP headers, a header that is no JWS, an oversized one', async () => {
      await refusedWith(
        [await proof(key, { htm: 'POST', htu: tokenUrl }), await proof(key, { htm: 'POST', htu: tokenUrl })],
        /exactly one/,
      );
      await refusedWith('not a jws', /exactly one/);
      await refusedWith(`${'a'.repeat(9000)}.b.c`, /exactly one/);
    });
  });

  describe('the Management API as a resource server', () => {
    let managementId: string;
    const graphqlUrl = () => new URL(`${server.url}/graphql`);
    const QUERY = JSON.stringify({ query: '{ resourceServers(first: 1) { totalCount } }' });
    const setManagementPolicy = async (policy: string) => {
      const res = await server.gql(
        `mutation($id: ID!, $input: ResourceServerUpdateInput!) { resourceServerUpdate(id: $id, input: $input) { resourceServer { proofOfPossession } userErrors { code } } }`,
        { id: managementId, input: { proofOfPossession: policy } },
      );
      expect(res.body.data.resourceServerUpdate).toEqual({ resourceServer: { proofOfPossession: policy }, userErrors: [] });
    };
    const post = (headers: Record<string, string>) =>
      fetch(graphqlUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: QUERY });

    beforeAll(async () => {
      const found = await server.gql(`query($identifier: String) { resourceServer(identifier: $identifier) { id proofOfPossession } }`, {
        identifier: server.config.managementAudience,
      });
      expect(found.body.data.resourceServer.proofOfPossession).toBe('NONE');
      managementId = found.body.data.resourceServer.id;
      // The change applies to the next token request at once (the token endpoint's cached API is dropped).
      await setManagementPolicy('DPOP_ALLOWED');
      const audit = await server.gql(
        `query($filter: AuditEventFilter) { auditEvents(first: 1, filter: $filter) { nodes { operation targetId summary outcome } } }`,
        { filter: { operation: 'resourceServerUpdate', targetId: managementId } },
      );
      expect(audit.body.data.auditEvents.nodes).toEqual([
        { operation: 'resourceServerUpdate', targetId: managementId, summary: { proofOfPossession: 'DPOP_ALLOWED' }, outcome: 'SUCCESS' },
      ]);
    });
    afterAll(async () => {
      await setManagementPolicy('NONE');
    });

    it('accepts a DPoP-bound token with a proof (openid-client fetchProtectedResource) and refuses it as Bearer', async () => {
      const config = await discover(BOOTSTRAP.clientId, oidc.ClientSecretBasic(BOOTSTRAP.clientSecret));
      const key = await proofKey();
      const DPoP = oidc.getDPoPHandle(config, key.pair);
      const tokens = await oidc.clientCredentialsGrant(config, { audience: server.config.managementAudience }, { DPoP });
      expect(tokens.token_type).toBe('dpop');
      const token = tokens.access_token;

      const ok = await oidc.fetchProtectedResource(
        config,
        token,
        graphqlUrl(),
        'POST',
        QUERY,
        new Headers({ 'content-type': 'application/json' }),
        { DPoP },
      );
      expect(ok.status).toBe(200);
      expect((await ok.json()).data.resourceServers.totalCount).toBeGreaterThan(0);

      const asBearer = await post({ authorization: `Bearer ${token}` });
      expect(asBearer.status).toBe(401);
      expect(asBearer.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);

      const noProof = await post({ authorization: `DPoP ${token}` });
      expect(noProof.status).toBe(401);
      expect(noProof.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
      expect(noProof.headers.get('www-authenticate')).toContain(`algs="${ALGS.join(' ')}"`);

      const url = `${server.url}/graphql`;
      const noAth = await post({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'POST', htu: url }) });
      expect(noAth.status).toBe(401);
      expect(noAth.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof", error_description="[^"]*ath/);

      const ath = accessTokenHash(token);
      const otherKey = await post({ authorization: `DPoP ${token}`, dpop: await proof(await proofKey(), { htm: 'POST', htu: url, ath }) });
      expect(otherKey.status).toBe(401);
      expect(otherKey.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);

      const wrongMethod = await post({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: url, ath }) });
      expect(wrongMethod.status).toBe(401);

      const byHand = await post({ authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'POST', htu: url, ath }) });
      expect(byHand.status).toBe(200);
    });

    it('refuses an unbound token sent with the DPoP scheme', async () => {
      const plain = await server.managementToken();
      expect(decodeJwt(plain).cnf).toBeUndefined();
      const res = await post({
        authorization: `DPoP ${plain}`,
        dpop: await proof(await proofKey(), { htm: 'POST', htu: `${server.url}/graphql`, ath: accessTokenHash(plain) }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });
  });

  describe('code + refresh flow of a public client (openid-client)', () => {
    let api: ApiFixture;
    let spa: ClientFixture;
    let userId: string;

    beforeAll(async () => {
      api = await f.createApi({ proofOfPossession: 'DPOP_ALLOWED', allowOfflineAccess: true, allowSkippingUserConsent: true });
      spa = await f.createClient({ appType: 'SPA', callbacks: [CALLBACK] });
      userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD, name: 'Grace Hopper' }, ACTOR)).id;
    });

    it('binds the access and refresh tokens to the key; refresh needs a proof by that key; /userinfo needs the DPoP scheme', async () => {
      const config = await discover(spa.clientId, oidc.None());
      const key = await proofKey();
      const DPoP = oidc.getDPoPHandle(config, key.pair);
      const { location, verifier } = await authorize(server, {
        clientId: spa.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
        scope: 'openid offline_access read:x',
        email: EMAIL,
        password: PASSWORD,
      });
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(location),
        { pkceCodeVerifier: verifier, expectedState: 'st' },
        undefined,
        {
          DPoP,
        },
      );
      expect(tokens.token_type).toBe('dpop');
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
      expect(tokens.refresh_token).toBeDefined();

      // /userinfo: with a proof (the library's), never as Bearer.
      expect(await oidc.fetchUserInfo(config, tokens.access_token, userId, { DPoP })).toMatchObject({ sub: userId });
      const asBearer = await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(asBearer.status).toBe(401);
      expect(asBearer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      const noProof = await fetch(`${server.url}/userinfo`, { headers: { authorization: `DPoP ${tokens.access_token}` } });
      expect(noProof.status).toBe(401);
      expect(noProof.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);

      // The refresh token is bound too: another key, or none, is refused (and the token stays usable).
      const thief = oidc.getDPoPHandle(config, (await proofKey()).pair);
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: thief })).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
      expect(refreshed.token_type).toBe('dpop');
      expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: key.jkt });
      // The successor (rotation) is bound to the same key.
      expect(refreshed.refresh_token).toBeDefined();
      await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: thief })).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      expect((await oidc.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP })).token_type).toBe('dpop');
    });

    it('dpop_jkt binds the code: exchanged only with a proof by that key', async () => {
      const config = await discover(spa.clientId, oidc.None());
      const key = await proofKey();
      // The library's thumbprint of the key is the one the server computes from proofs.
      const dpopJkt = await oidc.getDPoPHandle(config, key.pair).calculateThumbprint();
      expect(dpopJkt).toBe(key.jkt);
      const signIn = () =>
        authorize(server, {
          clientId: spa.clientId,
          redirectUri: CALLBACK,
          audience: api.identifier,
          scope: 'openid read:x',
          email: EMAIL,
          password: PASSWORD,
          extra: { dpop_jkt: dpopJkt },
        });
      const exchange = async (options?: oidc.DPoPOptions) => {
        const { location, verifier } = await signIn();
        return oidc.authorizationCodeGrant(
          config,
          new URL(location),
          { pkceCodeVerifier: verifier, expectedState: 'st' },
          undefined,
          options,
        );
      };
      await expect(exchange({ DPoP: oidc.getDPoPHandle(config, (await proofKey()).pair) })).rejects.toMatchObject({
        error: 'invalid_grant',
        error_description: expect.stringMatching(/dpop_jkt/),
      });
      await expect(exchange()).rejects.toMatchObject({ error: 'invalid_grant' });
      const tokens = await exchange({ DPoP: oidc.getDPoPHandle(config, key.pair) });
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
    });
  });
});

/** DPOP_NONCE_REQUIRED=true: server nonces (RFC 9449 §8, §9), challenged and retried by openid-client. */
describe('DPoP server nonces', () => {
  let server: TestServer;
  const clock = new FakeClock();
  const f = fixtures(() => server, 'dpop-nonce');
  let api: ApiFixture;
  let machine: ClientFixture;
  let tokenUrl: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { DPOP_NONCE_REQUIRED: 'true' }, clock });
    tokenUrl = `${server.url}/oauth/token`;
    api = await f.createApi({ proofOfPossession: 'DPOP_ALLOWED' });
    machine = await f.createClient();
    await f.createGrant(machine, api, ['read:x']);
  });
  afterAll(async () => {
    await server?.close();
  });

  const now = () => Math.floor(clock.now().getTime() / 1000);
  const tokenWith = (dpop: string) =>
    server.token(
      { grant_type: 'client_credentials', audience: api.identifier },
      { authorization: basicAuth(machine.clientId, machine.clientSecret!), dpop },
    );

  it('openid-client retries with the nonce at the token endpoint and at the Management API', async () => {
    const config = await oidc.discovery(new URL(server.url), BOOTSTRAP.clientId, {}, oidc.ClientSecretBasic(BOOTSTRAP.clientSecret), {
      execute: [oidc.allowInsecureRequests],
    });
    const key = await proofKey();
    const machineConfig = await oidc.discovery(new URL(server.url), machine.clientId, {}, oidc.ClientSecretBasic(machine.clientSecret!), {
      execute: [oidc.allowInsecureRequests],
    });
    const tokens = await oidc.clientCredentialsGrant(
      machineConfig,
      { audience: api.identifier },
      { DPoP: oidc.getDPoPHandle(machineConfig, key.pair) },
    );
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });

    const managementId = (
      await server.gql(`query($identifier: String) { resourceServer(identifier: $identifier) { id } }`, {
        identifier: server.config.managementAudience,
      })
    ).body.data.resourceServer.id;
    const update = `mutation($id: ID!, $input: ResourceServerUpdateInput!) { resourceServerUpdate(id: $id, input: $input) { userErrors { code } } }`;
    expect(
      (await server.gql(update, { id: managementId, input: { proofOfPossession: 'DPOP_REQUIRED' } })).body.data.resourceServerUpdate
        .userErrors,
    ).toEqual([]);
    try {
      const management = await oidc.clientCredentialsGrant(
        config,
        { audience: server.config.managementAudience },
        { DPoP: oidc.getDPoPHandle(config, key.pair) },
      );
      // A new handle knows no nonce: the resource challenges it (401 use_dpop_nonce), the library retries.
      const url = new URL(`${server.url}/graphql`);
      const body = JSON.stringify({ query: '{ resourceServers(first: 1) { totalCount } }' });
      const headers = () => new Headers({ 'content-type': 'application/json' });
      const res = await oidc.fetchProtectedResource(config, management.access_token, url, 'POST', body, headers(), {
        DPoP: oidc.getDPoPHandle(config, key.pair),
      });
      expect(res.status).toBe(200);

      const challenged = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `DPoP ${management.access_token}`,
          dpop: await proof(key, { htm: 'POST', htu: url.href, iat: now(), ath: accessTokenHash(management.access_token) }),
        },
        body,
      });
      expect(challenged.status).toBe(401);
      expect(challenged.headers.get('www-authenticate')).toMatch(/^DPoP .*error="use_dpop_nonce"/);
      expect(challenged.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } finally {
      // The cached Bearer management token of the fixtures was issued before: still accepted.
      expect(
        (await server.gql(update, { id: managementId, input: { proofOfPossession: 'NONE' } })).body.data.resourceServerUpdate.userErrors,
      ).toEqual([]);
    }
  });

  it('oauth4webapi DPoP(): challenged once (isDPoPNonceError), the retry carries the nonce it learnt', async () => {
    const issuer = new URL(server.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE }));
    const oauthClient: oauth.Client = { client_id: machine.clientId };
    const auth = oauth.ClientSecretBasic(machine.clientSecret!);
    const key = await proofKey();
    const DPoP = oauth.DPoP(oauthClient, key.pair);
    const request = () => oauth.clientCredentialsGrantRequest(as, oauthClient, auth, { audience: api.identifier }, { DPoP, ...INSECURE });
    const challenged = await oauth.processClientCredentialsResponse(as, oauthClient, await request()).catch((error: unknown) => error);
    expect(oauth.isDPoPNonceError(challenged)).toBe(true);
    const token = await oauth.processClientCredentialsResponse(as, oauthClient, await request());
    expect(token.token_type).toBe('dpop');
    expect(decodeJwt(token.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  // After the libraries' tests: their proofs are dated by the real time, which this test moves the server away from.
  it('challenges a proof without a nonce (use_dpop_nonce, DPoP-Nonce); the current and the previous nonce are accepted, older ones not', async () => {
    const key = await proofKey();
    const challenged = await tokenWith(await proof(key, { htm: 'POST', htu: tokenUrl, iat: now() }));
    expect(challenged.status).toBe(400);
    expect(challenged.body).toEqual({ error: 'use_dpop_nonce', error_description: expect.any(String) });
    const nonce = challenged.headers.get('dpop-nonce')!;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const ok = await tokenWith(await proof(key, { htm: 'POST', htu: tokenUrl, iat: now(), nonce }));
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
    expect(ok.headers.get('dpop-nonce')).toBeNull();

    const forged = await tokenWith(await proof(key, { htm: 'POST', htu: tokenUrl, iat: now(), nonce: 'A'.repeat(43) }));
    expect(forged.body.error).toBe('use_dpop_nonce');

    // One window later the nonce is the previous one: accepted, and the current one handed out.
    clock.advance(300);
    const rotated = await tokenWith(await proof(key, { htm: 'POST', htu: tokenUrl, iat: now(), nonce }));
    expect(rotated.status).toBe(200);
    const next = rotated.headers.get('dpop-nonce');
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(next).not.toBe(nonce);

    // Two windows later: refused, with the nonce of now; the one handed out a window ago is still accepted.
    clock.advance(300);
    const expired = await tokenWith(await proof(key, { htm: 'POST', htu: tokenUrl, iat: now(), nonce }));
    expect(expired.status).toBe(400);
    expect(expired.body.error).toBe('use_dpop_nonce');
    expect([nonce, next]).not.toContain(expired.headers.get('dpop-nonce'));
    expect((await tokenWith(await proof(key, { htm: 'POST', htu: tokenUrl, iat: now(), nonce: next! }))).status).toBe(200);
  });
});
