import { createPrivateKey, createSecretKey, JsonWebKey, KeyObject, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, JWK } from 'jose';
import { DataSource, EntityManager, In, IsNull, MoreThan, Not } from 'typeorm';
import { SecretBox } from './secret-box';
import { randomToken } from './random';
import { ResourceServerSecretEntity, SigningKeyEntity } from './signing-key.entity';
import type { ChangeFeed } from '../db/change-feed';
import { lockInSchema } from '../db/schema-scoped';
import type { Clock } from '../lib/clock';

import { type AsymmetricAlgorithm, generateKeyPairJwks, type KeyPairSource } from './key-pairs';

export interface LoadedKey {
  kid: string;
  algorithm: AsymmetricAlgorithm;
  state: string;
  /** Signs (crypto/jws.ts): a node:crypto key, imported once. */
  privateKey: KeyObject;
  /** Verifies (jose). */
  publicKey: CryptoKey | KeyObject;
  publicJwk: JWK;
}

export interface HsKey {
  kid: string;
  /** Signs (crypto/jws.ts). */
  key: KeyObject;
}

interface HsVerificationKey {
  serverId: string;
  key: CryptoKey;
  /** A rotated-away secret verifies until then; null for the active one. */
  expiresAt: Date | null;
}

/** HMAC keys as WebCrypto keys: jose would convert a KeyObject again on every signature. */
function hmacKey(secret: string): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', Buffer.from(secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

/** Keys that verify and are published: everything not revoked. */
const PUBLISHED_STATES = ['CURRENT', 'NEXT', 'PREVIOUS'];

/**
 * The signing keys, decrypted once into memory. One ring per asymmetric algorithm (a current key
 * that signs and a next key already published in the JWKS so caches learn it before it signs),
 * created on first need; plus each HS256 API's secret. `reload()` runs when any instance changes keys.
 */
export class KeyRing {
  private keys = new Map<string, LoadedKey>();
  private current = new Map<string, LoadedKey>();
  private hsByServer = new Map<string, HsKey>();
  private hsByKid = new Map<string, HsVerificationKey>();
  /** Bumped by each reload; a reload that a newer one overtook is dropped. */
  private generation = 0;
  private latestReload: Promise<void> = Promise.resolve();
  /** Bumped when HS256 secrets are forgotten; a load that started before is not cached. */
  private secretsGeneration = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly changes: ChangeFeed,
    /** When a key became current, and whether a rotated-away HS256 secret still verifies. */
    private readonly clock: Clock,
    /** Where new key pairs come from (tests draw RSA pairs from a pool made once per run). */
    private readonly keyPairs: KeyPairSource = generateKeyPairJwks,
  ) {}

  /**
   * Loads the published keys. Resolves once the key ring reflects the database at least as of the
   * call: when a newer reload overtakes this one, it waits for that one too.
   */
  async reload(): Promise<void> {
    const generation = ++this.generation;
    const run = this.loadAndApply(generation);
    this.latestReload = run;
    let awaited = run;
    await run;
    while (this.latestReload !== awaited) {
      awaited = this.latestReload;
      await awaited;
    }
  }

  private async loadAndApply(generation: number): Promise<void> {
    const rows = await this.dataSource.manager.find(SigningKeyEntity, { where: { state: In(PUBLISHED_STATES) } });
    const keys = new Map<string, LoadedKey>();
    const current = new Map<string, LoadedKey>();
    for (const row of rows) {
      const existing = this.keys.get(row.kid);
      const loaded = existing && existing.state === row.state ? existing : await this.decrypt(row);
      keys.set(row.kid, loaded);
      if (row.state === 'CURRENT') current.set(row.algorithm, loaded);
    }
    if (generation !== this.generation) return; // a newer reload won
    this.keys = keys;
    this.current = current;
    this.forgetSecrets();
  }

  /** Drops the cached HS256 secrets (an API changed or was deleted); they load again on use. */
  forgetSecrets(): void {
    this.secretsGeneration++;
    this.hsByServer.clear();
    this.hsByKid.clear();
  }

  /** The key that signs new tokens of `algorithm`, creating the ring on first need. */
  async signingKey(algorithm: AsymmetricAlgorithm): Promise<LoadedKey> {
    const key = this.current.get(algorithm);
    if (key) return key;
    await this.ensureRing(algorithm);
    return this.current.get(algorithm)!;
  }

  /** Verification key for a kid of an asymmetric key, or undefined (unknown or revoked). */
  verificationKey(kid: string): LoadedKey | undefined {
    return this.keys.get(kid);
  }

  /** True when a current key of `algorithm` is loaded (readiness: the service can sign). */
  hasCurrentKey(algorithm: string): boolean {
    return this.current.has(algorithm);
  }

  /** The public JWK Set: current, next and previous keys of every ring; never a secret. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].map((k) => k.publicJwk) };
  }

  /** Creates the current and next key of `algorithm` unless they exist (safe across instances). */
  async ensureRing(algorithm: AsymmetricAlgorithm, em?: EntityManager): Promise<void> {
    const run = async (tx: EntityManager) => {
      await KeyRing.lockRing(tx, algorithm);
      const states = (await tx.find(SigningKeyEntity, { where: { algorithm, state: In(['CURRENT', 'NEXT']) } })).map((k) => k.state);
      // Both keys of a new ring are generated at once (in the thread pool): a first start waits
      // for one RSA key generation, not two in a row.
      const [current, next] = await Promise.all([
        states.includes('CURRENT') ? undefined : this.generate(algorithm),
        states.includes('NEXT') ? undefined : this.generate(algorithm),
      ]);
      if (current) await tx.insert(SigningKeyEntity, { ...current, state: 'CURRENT', activatedAt: this.clock.now() });
      if (next) await tx.insert(SigningKeyEntity, { ...next, state: 'NEXT' });
      if (states.length < 2) await this.changes.publish(tx, 'signing_key', algorithm);
    };
    if (em) await run(em);
    else {
      await this.dataSource.transaction(run);
      await this.reload();
    }
  }

  /** The advisory lock that serializes every change to one algorithm's ring (across instances). */
  static lockRing(em: EntityManager, algorithm: string): Promise<unknown> {
    return lockInSchema(em, `apiauth:keyring:${algorithm}`);
  }

  /** Generates and stores an HS256 API's secret; returns it in plain text, once. */
  async createHsSecret(em: EntityManager, serverId: string): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const kid = randomToken(16);
    await em.insert(ResourceServerSecretEntity, {
      resourceServerId: serverId,
      kid,
      secretSealed: this.box.seal(secret, kid),
      expiresAt: null,
    });
    return secret;
  }

  /**
   * Replaces an HS256 API's secret inside the caller's transaction and returns the new one. The
   * active secret verifies until `previousExpiresAt` (null: dropped now); an older one still in its
   * grace period is dropped, so an API never has more than two.
   */
  async rotateHsSecret(em: EntityManager, serverId: string, previousExpiresAt: Date | null): Promise<string> {
    await em.delete(ResourceServerSecretEntity, { resourceServerId: serverId, expiresAt: Not(IsNull()) });
    if (previousExpiresAt) await em.update(ResourceServerSecretEntity, { resourceServerId: serverId }, { expiresAt: previousExpiresAt });
    else await em.delete(ResourceServerSecretEntity, { resourceServerId: serverId });
    return this.createHsSecret(em, serverId);
  }

  /** The HS256 key that signs tokens for the API. */
  async hsSigningKey(serverId: string): Promise<HsKey> {
    const cached = this.hsByServer.get(serverId);
    if (cached) return cached;
    const generation = this.secretsGeneration;
    const row = await this.dataSource.manager.findOne(ResourceServerSecretEntity, {
      where: { resourceServerId: serverId, expiresAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
    if (!row) throw new Error(`HS256 API ${serverId} has no signing secret`);
    const key = { kid: row.kid, key: createSecretKey(Buffer.from(this.box.open(row.secretSealed, row.kid), 'utf8')) };
    if (generation === this.secretsGeneration) this.hsByServer.set(serverId, key);
    return key;
  }

  /** The HS256 key with this kid, if it is still valid. */
  async hsVerificationKey(kid: string): Promise<{ serverId: string; key: CryptoKey } | undefined> {
    const cached = this.hsByKid.get(kid);
    const now = this.clock.now();
    if (cached) return cached.expiresAt === null || cached.expiresAt.getTime() > now.getTime() ? cached : undefined;
    const generation = this.secretsGeneration;
    const row = await this.dataSource.manager.findOne(ResourceServerSecretEntity, {
      where: [
        { kid, expiresAt: IsNull() },
        { kid, expiresAt: MoreThan(now) },
      ],
    });
    if (!row) return undefined;
    const entry: HsVerificationKey = {
      serverId: row.resourceServerId,
      key: await hmacKey(this.box.open(row.secretSealed, row.kid)),
      expiresAt: row.expiresAt,
    };
    if (generation === this.secretsGeneration) this.hsByKid.set(kid, entry);
    return entry;
  }

  /** A new key pair of `algorithm` as a row to insert: kid = RFC 7638 thumbprint, private part sealed. */
  async generate(algorithm: AsymmetricAlgorithm) {
    const { publicJwk, privateJwk } = await this.keyPairs(algorithm);
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    return {
      kid,
      algorithm,
      publicJwk: { ...publicJwk, kid, use: 'sig', alg: algorithm } as unknown as Record<string, string>,
      privateKeySealed: this.box.seal(JSON.stringify(privateJwk), kid),
    };
  }

  private async decrypt(row: SigningKeyEntity): Promise<LoadedKey> {
    const privateJwk = JSON.parse(this.box.open(row.privateKeySealed, row.kid)) as JWK;
    return {
      kid: row.kid,
      algorithm: row.algorithm as AsymmetricAlgorithm,
      state: row.state,
      privateKey: createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }),
      publicKey: (await importJWK(row.publicJwk, row.algorithm)) as CryptoKey | KeyObject,
      publicJwk: row.publicJwk as JWK,
    };
  }
}
