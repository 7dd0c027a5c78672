/**
 * The peer of `npm run bench:compare`: node-oidc-provider (a devDependency, ESM-only, hence a plain
 * .mjs run as a process of its own so neither server steals the other's event loop).
 *
 * Configured for the same work as this service's client-credentials path: client_secret_basic, one
 * machine client and one API (an RFC 8707 resource indicator) per algorithm, JWT access tokens
 * (RFC 9068, `at+jwt`) signed with that algorithm and living 24 h as ours do, its own signing keys
 * generated at start, the in-memory adapter (JWT access tokens are not stored in it), no
 * interactions, no proxy headers trusted.
 *
 * argv[2]: the algorithms, comma-separated (RS256, ES256, EdDSA, HS256). When listening it prints one
 * JSON line on stdout: { version, issuer, apis: { [alg]: { resource, clientId, clientSecret, hsSecret? } } };
 * its endpoints are in its discovery document. SIGTERM ends it.
 */
import { randomBytes, createSecretKey } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

const SCOPES = ['read:items', 'write:items'];
const TOKEN_LIFETIME = 86_400;

// bench:compare has checked them (bench/signing-ceiling.ts); jose refuses what it cannot generate.
const algorithms = (process.argv[2] ?? '').split(',').filter(Boolean);
if (algorithms.length === 0) {
  console.error('usage: oidc-provider-peer.mjs <algorithms, comma-separated>');
  process.exit(2);
}

/** A private signing JWK of the same key type and size as the service's key ring makes. */
async function signingJwk(alg) {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
    ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}),
  });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `peer-${alg.toLowerCase()}` };
}

const apis = {};
const byResource = new Map();
const keys = [];
for (const alg of algorithms) {
  const resource = `https://peer-${alg.toLowerCase()}.example/`;
  // As this service does for an HS256 API: a 256-bit secret, its base64url text used as the key.
  const hsSecret = alg === 'HS256' ? randomBytes(32).toString('base64url') : undefined;
  if (!hsSecret) keys.push(await signingJwk(alg));
  apis[alg] = { resource, clientId: `peer-client-${alg.toLowerCase()}`, clientSecret: randomBytes(32).toString('base64url'), hsSecret };
  byResource.set(resource, {
    scope: SCOPES.join(' '),
    audience: resource,
    accessTokenTTL: TOKEN_LIFETIME,
    accessTokenFormat: 'jwt',
    jwt: { sign: hsSecret ? { alg, key: createSecretKey(Buffer.from(hsSecret, 'utf8')) } : { alg } },
  });
}

// oidc-provider's client defaults (id_token_signed_response_alg) need an RS256 key even when only
// other algorithms are compared: one that signs nothing here.
if (!algorithms.includes('RS256')) keys.push(await signingJwk('RS256'));

// Listen first: the issuer names the port.
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: algorithms.map((alg) => ({
    client_id: apis[alg].clientId,
    client_secret: apis[alg].clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: SCOPES.join(' '),
  })),
  jwks: { keys },
  scopes: ['openid', 'offline_access', ...SCOPES],
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo(_ctx, resourceIndicator) {
        const info = byResource.get(resourceIndicator);
        if (!info) throw new errors.InvalidTarget();
        return info;
      },
    },
  },
});
provider.proxy = false;

// A fault answers 500 without a word on stderr otherwise; one line per kind, so a broken setup shows.
const reported = new Set();
provider.on('server_error', (_ctx, error) => {
  if (reported.has(error.message)) return;
  reported.add(error.message);
  console.error(`oidc-provider peer: server_error: ${error.message}`);
});

server.on('request', provider.callback());
const { version } = createRequire(import.meta.url)('oidc-provider/package.json');
console.log(JSON.stringify({ version, issuer, apis }));
