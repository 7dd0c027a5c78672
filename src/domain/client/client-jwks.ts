import { createPublicKey, KeyObject } from 'node:crypto';
import { IssueList } from '../errors';
import { truncate } from '../validation';
import { hasControlCharacter } from '../../lib/control-characters';

/**
 * A client's public keys (its `jwks`, OIDC Dynamic Client Registration §2): what verifies the
 * client assertions of a PRIVATE_KEY_JWT client (RFC 7523 §2.2). Public keys only, of the kinds
 * and algorithms below; stored as the public members of each key, nothing else.
 */

/** The JWS algorithms a client may sign its assertions with (RFC 8725: an allow-list; never `none` or HS*). */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;
export type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number];

export const CLIENT_KEYS_MAX = 5;
/** The JWK Set as JSON: five 8192-bit RSA keys fit. */
export const CLIENT_JWKS_MAX_BYTES = 16 * 1024;
export const CLIENT_KEY_ID_MAX = 128;
export const RSA_MODULUS_MIN_BITS = 2048;
/** Larger keys only slow every verification down. */
export const RSA_MODULUS_MAX_BITS = 8192;

/** One stored key: its public members only. */
export interface ClientJwk {
  kty: 'RSA' | 'EC' | 'OKP';
  kid?: string;
  use?: 'sig';
  alg?: ClientAssertionAlgorithm;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

export interface ClientJwks {
  keys: ClientJwk[];
}

/** A stored key, imported: what an assertion's signature is checked with. */
export interface ClientPublicKey {
  kid: string | undefined;
  /** The algorithms it verifies: its `alg`, else every one its type allows. */
  algorithms: readonly ClientAssertionAlgorithm[];
  key: KeyObject;
}

/** Members only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1, RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Per key type: the curve it must be on (EC, OKP), its key members, and the algorithms it may sign with. */
const KEY_TYPES = {
  RSA: { crv: undefined, members: ['n', 'e'], algorithms: ['RS256', 'PS256'] },
  EC: { crv: 'P-256', members: ['crv', 'x', 'y'], algorithms: ['ES256'] },
  OKP: { crv: 'Ed25519', members: ['crv', 'x'], algorithms: ['EdDSA', 'Ed25519'] },
} as const satisfies Record<ClientJwk['kty'], { crv: string | undefined; members: readonly string[]; algorithms: readonly string[] }>;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a JWK Set given for a client (`{ "keys": [...] }`) and returns it as stored (null when it
 * holds no key; undefined when refused, the issues reported): at most 5 keys, 16 KB as JSON; each a public RSA (2048 to 8192 bits), EC P-256 or
 * OKP Ed25519 key; no private member (`d`, `p`, `q`, …) and no symmetric (`oct`) key; `alg`, when
 * given, among CLIENT_ASSERTION_ALGORITHMS and fitting the key; `use`, when given, `sig`; a `kid` on
 * every key when there are several, each different. Other members (x5c, key_ops, …) are not kept.
 */
export function checkClientJwks(issues: IssueList, field: string[], value: unknown): ClientJwks | null | undefined {
  if (!isObject(value) || !Array.isArray(value.keys)) {
    issues.add('INVALID', field, 'must be a JWK Set: { "keys": [ … ] }');
    return undefined;
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > CLIENT_JWKS_MAX_BYTES) {
    issues.add('LIMIT_EXCEEDED', field, `must be at most ${CLIENT_JWKS_MAX_BYTES} bytes as JSON (is ${bytes})`);
    return undefined;
  }
  const keys: unknown[] = value.keys;
  const at = (index: number, member?: string) => [...field, 'keys', String(index), ...(member ? [member] : [])];
  if (keys.length > CLIENT_KEYS_MAX) {
    issues.add('LIMIT_EXCEEDED', [...field, 'keys'], `must have at most ${CLIENT_KEYS_MAX} keys`);
    return undefined;
  }
  const before = issues.issues.length;
  const stored: ClientJwk[] = [];
  const kids = new Set<string>();
  keys.forEach((jwk, index) => {
    const key = checkKey(issues, at(index), jwk);
    if (!key) return;
    if (key.kid === undefined && keys.length > 1) {
      issues.add('INVALID', at(index, 'kid'), 'is required when there are several keys');
    } else if (key.kid !== undefined && kids.has(key.kid)) {
      issues.add('INVALID', at(index, 'kid'), `"${truncate(key.kid)}" is repeated`);
    }
    if (key.kid !== undefined) kids.add(key.kid);
    stored.push(key);
  });
  if (issues.issues.length > before) return undefined;
  return stored.length > 0 ? { keys: stored } : null;
}

function checkKey(issues: IssueList, field: string[], jwk: unknown): ClientJwk | null {
  if (!isObject(jwk)) {
    issues.add('INVALID', field, 'must be a JWK (a JSON object)');
    return null;
  }
  const privateMember = PRIVATE_MEMBERS.find((member) => Object.hasOwn(jwk, member));
  if (jwk.kty === 'oct') {
    issues.add('INVALID', [...field, 'kty'], 'symmetric (oct) keys are refused: register public keys only');
    return null;
  }
  if (privateMember !== undefined) {
    issues.add('INVALID', [...field, privateMember], 'is a private key member: register the public key only');
    return null;
  }
  const kty: unknown = jwk.kty;
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
    issues.add('INVALID', [...field, 'kty'], 'must be RSA, EC or OKP');
    return null;
  }
  const type = KEY_TYPES[kty];
  const key: ClientJwk = { kty };
  let valid = true;
  const fail = (member: string, message: string) => {
    issues.add('INVALID', [...field, member], message);
    valid = false;
  };
  if (jwk.kid !== undefined) {
    if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > CLIENT_KEY_ID_MAX) {
      fail('kid', `must be a string of 1 to ${CLIENT_KEY_ID_MAX} characters`);
    } else if (hasControlCharacter(jwk.kid)) fail('kid', 'must not contain control characters');
    else key.kid = jwk.kid;
  }
  if (jwk.use !== undefined) {
    if (jwk.use !== 'sig') fail('use', 'must be sig (the key verifies signatures)');
    else key.use = 'sig';
  }
  if (jwk.alg !== undefined) {
    if (!(type.algorithms as readonly unknown[]).includes(jwk.alg))
      fail('alg', `must be one of ${type.algorithms.join(', ')} for an ${kty} key`);
    else key.alg = jwk.alg as ClientAssertionAlgorithm;
  }
  if (type.crv !== undefined && jwk.crv !== type.crv) fail('crv', `must be ${type.crv} for an ${kty} key`);
  for (const member of type.members) {
    if (member === 'crv') continue;
    const memberValue = jwk[member];
    if (typeof memberValue !== 'string' || !BASE64URL.test(memberValue)) fail(member, 'must be a base64url string');
    else key[member as 'n' | 'e' | 'x' | 'y'] = memberValue;
  }
  if (type.crv !== undefined) key.crv = type.crv;
  if (!valid) return null;
  let imported: KeyObject;
  try {
    imported = importKey(key);
  } catch {
    issues.add('INVALID', field, `is not a valid ${kty} public key`);
    return null;
  }
  if (kty === 'RSA') {
    const bits = imported.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_MODULUS_MIN_BITS || bits > RSA_MODULUS_MAX_BITS) {
      issues.add('INVALID', [...field, 'n'], `must be a ${RSA_MODULUS_MIN_BITS}- to ${RSA_MODULUS_MAX_BITS}-bit modulus (is ${bits} bits)`);
      return null;
    }
  }
  return key;
}

/**
 * The stored keys, imported (once per load of the client, not per request). A key that no longer
 * imports is left out: it was checked when stored, so that only happens to a row edited by hand.
 */
export function clientPublicKeys(jwks: ClientJwks | null): ClientPublicKey[] {
  const imported: ClientPublicKey[] = [];
  for (const jwk of jwks?.keys ?? []) {
    try {
      // An Ed25519 key's `EdDSA` and `Ed25519` (RFC 9864's fully-specified name, which openid-client
      // and oauth4webapi sign with) are one algorithm: either registered accepts both.
      const algorithms = jwk.alg === undefined || jwk.kty === 'OKP' ? KEY_TYPES[jwk.kty].algorithms : [jwk.alg];
      imported.push({ kid: jwk.kid, algorithms, key: importKey(jwk) });
    } catch {
      continue;
    }
  }
  return imported;
}

/** What the audit log records of a key set: each key's type, id and algorithm. */
export function jwksSummary(jwks: ClientJwks | null): { kty: string; kid: string | null; alg: string | null }[] {
  return (jwks?.keys ?? []).map((key) => ({ kty: key.kty, kid: key.kid ?? null, alg: key.alg ?? null }));
}

function importKey(jwk: ClientJwk): KeyObject {
  const material = Object.fromEntries(
    Object.entries({ kty: jwk.kty, n: jwk.n, e: jwk.e, crv: jwk.crv, x: jwk.x, y: jwk.y }).filter(([, v]) => v !== undefined),
  );
  return createPublicKey({ key: material, format: 'jwk' });
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
