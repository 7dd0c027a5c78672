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
 * A compact JWS of `payload` (RFC 7515), signed synchronously with node:crypto and a key imported
 * once (KeyObject): the token endpoint's hot path, where WebCrypto's per-call algorithm
 * normalisation and promise hop cost as much as the signature. Verification stays with `jose`.
 * ES256 signatures are IEEE P1363 (r‖s), PS256 uses a salt as long as the hash (RFC 7518 §3.5).
 */
export function signJws(header: JwsHeader, payload: object, key: KeyObject): string {
  const input = `${encodedHeader(header)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${signature(header.alg, Buffer.from(input), key).toString('base64url')}`;
}

function signature(alg: SigningAlgorithm, data: Buffer, key: KeyObject): Buffer {
  switch (alg) {
    case 'HS256':
      return createHmac('sha256', key).update(data).digest();
    case 'RS256':
      return sign('sha256', data, key);
    case 'PS256':
      return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'ES256':
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, data, key);
  }
}
