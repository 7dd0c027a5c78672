import * as oidc from 'openid-client';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeJwt, exportJWK, jwtVerify } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openLoopbackBrowser } from '../helpers/browser';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

const EMAIL = 'ada@device.example';
const PASSWORD = 'correct horse battery staple';

/**
 * The device flow as a TV app runs it with openid-client (panva, v6): discovery, then
 * `initiateDeviceAuthorization` and `pollDeviceAuthorizationGrant` (which waits the interval
 * between polls, as the library does), while the user completes the verification page in headless
 * Chromium: the prefilled code is confirmed, the user signs in and allows (or denies) the device.
 */
describe('device authorization with openid-client, completed in a browser', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'device-browser');
  let api: ApiFixture;
  let tv: ClientFixture;
  let userId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const blocked: string[] = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    api = await f.createApi({
      name: 'Photo Library',
      allowOfflineAccess: true,
      scopes: [{ value: 'read:photos', description: 'See your photos and albums' }],
    });
    tv = await f.createClient({ name: 'Living-room TV', appType: 'NATIVE', grantTypes: ['DEVICE_CODE', 'REFRESH_TOKEN'] });
    userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD, name: 'Ada' }, SYSTEM_ACTOR)).id;
    ({ browser, context, page } = await openLoopbackBrowser({ width: 1024, height: 768 }, { blocked, cspViolations, pageErrors }));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  const discover = () => oidc.discovery(new URL(server.url), tv.clientId, {}, oidc.None(), { execute: [oidc.allowInsecureRequests] });

  /** Opens verification_uri_complete and confirms the prefilled code; signs in when asked; ends on the consent page. */
  async function confirmCode(verificationUriComplete: string, userCode: string): Promise<void> {
    await page.goto(verificationUriComplete);
    await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
    expect(await page.getByLabel('Code').inputValue()).toBe(userCode);
    await page.getByRole('button', { name: 'Continue' }).click();
    const signIn = page.getByRole('heading', { name: 'Sign in' });
    const consent = page.getByRole('heading', { name: 'Authorize Living-room TV' });
    await signIn.or(consent).waitFor();
    if (await signIn.isVisible()) {
      expect(await page.getByText('to continue to Living-room TV').count()).toBe(1);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // Signed in, back on the prefilled code: confirmed once more.
      await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
      expect(await page.getByLabel('Code').inputValue()).toBe(userCode);
      await page.getByRole('button', { name: 'Continue' }).click();
    }
    await consent.waitFor();
  }

  it('initiateDeviceAuthorization, the user allows on the page, pollDeviceAuthorizationGrant gets tokens that refresh', async () => {
    const config = await discover();
    const device = await oidc.initiateDeviceAuthorization(config, {
      scope: 'openid profile offline_access read:photos',
      audience: api.identifier,
    });
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(device.verification_uri).toBe(`${server.url}/device`);
    const polled = oidc.pollDeviceAuthorizationGrant(config, device);

    await confirmCode(device.verification_uri_complete!, device.user_code);
    const permissions = page.getByRole('list', { name: 'Requested permissions' }).getByRole('listitem');
    expect(await permissions.allTextContents()).toContain('See your photos and albumsread:photos');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();

    // The library validated the ID token (issuer, audience, signature); the access token is the API's.
    const tokens = await polled;
    expect(tokens.claims()).toMatchObject({ iss: server.url, sub: userId, aud: tv.clientId, name: 'Ada' });
    expect(tokens.scope).toBe('openid profile read:photos');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: api.identifier });
    expect(payload).toMatchObject({ sub: userId, client_id: tv.clientId });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ sub: userId });

    expect(blocked).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('with a DPoP key (RFC 9449): the tokens are bound to it, and so is the refresh token of this public client', async () => {
    const dpopApi = await f.createApi({ proofOfPossession: 'DPOP_ALLOWED', allowOfflineAccess: true, scopes: [{ value: 'read:photos' }] });
    const config = await discover();
    const key = await oidc.randomDPoPKeyPair('ES256', { extractable: true });
    const DPoP = oidc.getDPoPHandle(config, key);
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'offline_access read:photos', audience: dpopApi.identifier });
    const polled = oidc.pollDeviceAuthorizationGrant(config, device, undefined, { DPoP });
    // Signed in already (the session cookie): straight to the consent page once the code is confirmed.
    await confirmCode(device.verification_uri_complete!, device.user_code);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    const tokens = await polled;
    expect(tokens.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(key.publicKey), 'sha256');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
  });

  it('a user who denies: pollDeviceAuthorizationGrant rejects with access_denied', async () => {
    const config = await discover();
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'read:photos', audience: api.identifier });
    const polled = oidc.pollDeviceAuthorizationGrant(config, device).then(
      () => null,
      (error: unknown) => error,
    );
    await confirmCode(device.verification_uri_complete!, device.user_code);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('heading', { name: 'Request denied' }).waitFor();
    const error = await polled;
    expect(error).toBeInstanceOf(oidc.ResponseBodyError);
    expect((error as oidc.ResponseBodyError).error).toBe('access_denied');
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
