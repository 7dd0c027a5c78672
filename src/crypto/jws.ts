import { constants, createHmac, KeyObject, sign } from 'node:crypto';

/** The algorithms this service signs tokens with (RFC 7518 names). */
export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256';

export interface JwsHeader {
  alg: SigningAlgorithm;
  typ: string;
  kid: string;
}

/** Encoded protected headers: a service signs with a handful of (alg, typ, kid) combinations. */
const encodedHeaders = new Map<string, string>();
const ENCODED_HEADERS_MAX = 10_000;

function encodedHeader(header: JwsHeader): string {
  const key = `${header.alg}\u0000${header.typ}\u0000${header.kid}`;
  let encoded = encodedHeaders.get(key);
  if (encoded === undefined) {
    if (encodedHeaders.size >= ENCODED_HEADERS_MAX) encodedHeaders.clear();
    encoded = Buffer.from(JSON.stringify({ alg: header.alg, typ: header.typ, kid: header.kid })).toString('base64url');
    encodedHeaders.set(key, encoded);
  }
  return encoded;
}

/**
 * A compact JWS of `payload` (RFC 7515), signed with node:crypto and a key imported once
 * (KeyObject), the protected header encoded once. Asymmetric signatures run on libuv's thread pool
 * (node:crypto's callback form): an RSA signature takes about a millisecond, which the event loop
 * spends on other requests meanwhile, using a second core; an HMAC is cheaper than the hop and is
 * computed in place. Verification stays with `jose`. ES256 signatures are IEEE P1363 (r‖s), PS256
 * uses a salt as long as the hash (RFC 7518 §3.5).
 */
export async function signJws(header: JwsHeader, payload: object, key: KeyObject): Promise<string> {
  const input = `${encodedHeader(header)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const data = Buffer.from(input);
  const signature =
    header.alg === 'HS256' ? createHmac('sha256', key).update(data).digest() : await asymmetricSignature(header.alg, data, key);
  return `${input}.${signature.toString('base64url')}`;
}

function asymmetricSignature(alg: Exclude<SigningAlgorithm, 'HS256'>, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, signature: Buffer) => (error ? reject(error) : resolve(signature));
    switch (alg) {
      case 'RS256':
        return sign('sha256', data, key, done);
      case 'PS256':
        return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, done);
      case 'ES256':
        return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, done);
      case 'EdDSA':
        return sign(null, data, key, done);
    }
  });
}
