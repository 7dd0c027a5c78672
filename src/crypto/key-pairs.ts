import { exportJWK, generateKeyPair, type JWK } from 'jose';

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** A new key pair for `algorithm`, as JWKs (private and public parts). */
export type KeyPairSource = (algorithm: AsymmetricAlgorithm) => Promise<{ publicJwk: JWK; privateJwk: JWK }>;

/** Fresh key pairs from node:crypto (through jose): RSA 2048 for RS256/PS256, P-256, Ed25519. */
export const generateKeyPairJwks: KeyPairSource = async (algorithm) => {
  const { publicKey, privateKey } = await generateKeyPair(algorithm, {
    extractable: true,
    ...(algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}),
    ...(algorithm.startsWith('RS') || algorithm.startsWith('PS') ? { modulusLength: 2048 } : {}),
  });
  return { publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
};
