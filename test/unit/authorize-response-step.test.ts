import { sha256Hex } from '../../src/crypto/random';
import { AuthorizationCodeService, CODE_LIFETIME_SECONDS } from '../../src/domain/authorization/authorization-code.service';
import { UsedNonceService } from '../../src/domain/authorization/used-nonce.service';
import type { ClientEntity } from '../../src/domain/client/client.entity';
import type { TokenPipeline } from '../../src/oauth/tokens/pipeline';
import type { UserEntity } from '../../src/domain/user/user.entity';
import type { CachedApi } from '../../src/oauth/registry';
import { AuthorizationRequest, AuthorizeError } from '../../src/oauth/authorize/request';
import { authorizationResponse, errorResponse, grantResponse, ResponseDeps } from '../../src/oauth/authorize/response-step';
import { DomainServices, openDomainServices } from '../helpers/domain-services';
import { FakeClock } from '../helpers/test-app';

const ISSUER = 'https://issuer.example';

describe('/authorize response step', () => {
  describe('authorizationResponse: the response mode', () => {
    const target = { redirectUri: 'https://app.example/cb', responseMode: 'query' as const, state: 'st' };

    it('query: appended to the redirect URI’s own query, with state and iss; undefined values left out', () => {
      expect(authorizationResponse(ISSUER, target, { code: 'c', absent: undefined })).toEqual({
        mode: 'redirect',
        location: 'https://app.example/cb?code=c&state=st&iss=https%3A%2F%2Fissuer.example',
      });
      expect(
        authorizationResponse(ISSUER, { ...target, redirectUri: 'https://app.example/cb?x=1', state: undefined }, { code: 'c' }),
      ).toEqual({
        mode: 'redirect',
        location: 'https://app.example/cb?x=1&code=c&iss=https%3A%2F%2Fissuer.example',
      });
    });

    it('fragment, and a non-ASCII redirect URI percent-encoded for the Location header', () => {
      expect(
        authorizationResponse(
          ISSUER,
          { ...target, responseMode: 'fragment', redirectUri: 'https://app.example/café' },
          { access_token: 'a b' },
        ),
      ).toEqual({
        mode: 'redirect',
        location: 'https://app.example/caf%C3%A9#access_token=a+b&state=st&iss=https%3A%2F%2Fissuer.example',
      });
    });

    it('form_post: the parameters for a page that posts them', () => {
      expect(
        authorizationResponse(
          ISSUER,
          { ...target, responseMode: 'form_post' },
          errorResponse(new AuthorizeError(target, 'access_denied', 'no')),
        ),
      ).toEqual({
        mode: 'form_post',
        redirectUri: 'https://app.example/cb',
        params: { error: 'access_denied', error_description: 'no', state: 'st', iss: ISSUER },
      });
    });
  });

  describe('grantResponse (real codes and nonces; a fake clock)', () => {
    const clock = new FakeClock();
    let services: DomainServices;
    let codes: AuthorizationCodeService;
    let client: ClientEntity;
    let api: CachedApi;
    let user: UserEntity;
    /** The sign-in the responses are granted to (its session as the session service returns it). */
    const session = { userId: '', sid: 'sid-of-the-session-1234', authTime: new Date('2026-01-01T00:00:00Z') };
    const signedIn = () => ({ user, session: { ...session, userId: user.id } });
    let userId: string;
    const issued: unknown[][] = [];
    let deps: ResponseDeps;

    beforeAll(async () => {
      services = await openDomainServices(clock);
      codes = new AuthorizationCodeService(services.dataSource, clock);
      client = await services.createClient({ appType: 'SPA', isFirstParty: true, grantTypes: ['AUTHORIZATION_CODE', 'IMPLICIT'] });
      api = await services.createApi({ tokenLifetimeForWeb: 900, scopes: [{ value: 'read:x' }, { value: 'write:x' }] });
      user = await services.createUser('ada@example.com', 'correct horse battery staple');
      userId = user.id;
      // The token pipeline (user policy, claims, signature) is not this step's: a fake that records its calls.
      const pipeline = {
        async issueAccessToken(...args: unknown[]) {
          issued.push(args);
          const context = args[0] as { scopes: string[] };
          return {
            accessToken: 'the-token',
            tokenType: 'Bearer',
            expiresIn: 900,
            scope: context.scopes.join(' '),
            jti: 'j',
            expiresAt: new Date(),
          };
        },
      } as unknown as TokenPipeline;
      deps = {
        authorizationCodes: codes,
        usedNonces: new UsedNonceService(services.dataSource, clock),
        pipeline,
      };
    });
    afterAll(async () => {
      await services.close();
    });

    const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
    const request = (change: Partial<AuthorizationRequest> = {}): AuthorizationRequest => ({
      redirectUri: 'https://app.example/cb',
      responseMode: 'query',
      state: 'st',
      params: [],
      client,
      api,
      responseType: 'code',
      scopes: ['read:x', 'write:x'],
      prompts: new Set(),
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      codeChallengeMethod: 'S256',
      nonce: undefined,
      maxAge: undefined,
      dpopJkt: undefined,
      loopbackRedirect: false,
      pushed: false,
      ...change,
    });

    it('code: a single-use code bound to the request, read back whole (entity mapping), living CODE_LIFETIME_SECONDS by the clock', async () => {
      const issuedAt = clock.now();
      const { code, ...rest } = await grantResponse(deps, request({ nonce: 'n-0', dpopJkt: JKT }), signedIn());
      expect(rest).toEqual({});
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      clock.advance(CODE_LIFETIME_SECONDS - 1);
      const consumed = await codes.consume(code);
      expect(consumed).toEqual({
        status: 'ok',
        code: {
          codeHash: sha256Hex(code),
          clientUuid: client.id,
          userId,
          resourceServerId: api.server.id,
          redirectUri: 'https://app.example/cb',
          scopes: ['read:x', 'write:x'],
          codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          codeChallengeMethod: 'S256',
          // OpenID Connect: the request's nonce and the sign-in, for the ID token.
          nonce: 'n-0',
          // RFC 9449 §10: the key the exchange must prove.
          dpopJkt: JKT,
          sid: session.sid,
          authTime: session.authTime,
          createdAt: issuedAt,
          expiresAt: new Date(issuedAt.getTime() + CODE_LIFETIME_SECONDS * 1000),
          consumedAt: clock.now(),
          issuedJti: null,
          issuedExpiresAt: null,
        },
      });
      // Used once: presented again (its exchange no longer in flight) it is 'reused', and its token revoked.
      await codes.recordIssued(sha256Hex(code), 'jti-of-code', new Date(clock.now().getTime() + 600_000));
      const again = await codes.consume(code);
      expect(again.status).toBe('reused');
      expect(again.status === 'reused' && again.code.issuedJti).toBe('jti-of-code');
      expect(await services.db.query(`SELECT jti FROM revoked_tokens WHERE jti = 'jti-of-code'`)).toEqual([{ jti: 'jti-of-code' }]);
    });

    it('code: expired once the clock reaches its lifetime', async () => {
      const { code } = await grantResponse(deps, request({ codeChallenge: null, codeChallengeMethod: null }), signedIn());
      clock.advance(CODE_LIFETIME_SECONDS);
      expect(await codes.consume(code)).toEqual({ status: 'invalid' });
    });

    it('implicit: the token’s parameters; the nonce is kept for the token’s lifetime (+60 s) by the clock, and a replay refused', async () => {
      const implicit = request({
        responseType: 'token',
        responseMode: 'fragment',
        nonce: 'n-1',
        codeChallenge: null,
        codeChallengeMethod: null,
      });
      expect(await grantResponse(deps, implicit, signedIn(), 'req-1')).toEqual({
        access_token: 'the-token',
        token_type: 'Bearer',
        expires_in: '900',
        scope: 'read:x write:x',
      });
      expect(issued.at(-1)).toEqual([
        { grantType: 'implicit', client, api, user, scopes: ['read:x', 'write:x'], sessionId: session.sid, requestId: 'req-1' },
        { lifetime: 900 },
      ]);
      const [nonce] = await services.db.query<{ expires_at: Date }>(`SELECT expires_at FROM used_nonces WHERE nonce = 'n-1'`);
      expect(nonce.expires_at).toEqual(new Date(clock.now().getTime() + (900 + 60) * 1000));

      const replay = grantResponse(deps, implicit, signedIn());
      await expect(replay).rejects.toThrow(AuthorizeError);
      await expect(replay).rejects.toMatchObject({ error: 'invalid_request', description: 'nonce already used', target: implicit });
      expect(issued).toHaveLength(1);
      // Another client's nonce of the same value is its own.
      const other = await services.createClient({ appType: 'SPA', isFirstParty: true, grantTypes: ['IMPLICIT'] });
      await expect(grantResponse(deps, { ...implicit, client: other }, signedIn())).resolves.toHaveProperty('access_token');
      // Once its token has expired, the nonce may be used again.
      clock.advance(900 + 60);
      await expect(grantResponse(deps, implicit, signedIn())).resolves.toHaveProperty('access_token');
    });
  });
});
