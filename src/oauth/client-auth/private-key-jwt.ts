import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, ProtectedHeaderParameters } from 'jose';
import { CLIENT_ASSERTION_ALGORITHMS, ClientAssertionAlgorithm, ClientPublicKey } from '../../domain/client/client-jwks';
import { clientAssertionIssuer, JTI_MAX } from '../../domain/replay/used-jti.service';
import { invalidClient, invalidRequest } from '../errors';
import { CLOCK_TOLERANCE_SECONDS } from '../token-verifier';
import type { ClientAuthMethod } from './method';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Latest `exp` an assertion may carry, in seconds from now: it proves the client for one request, not for long. */
export const CLIENT_ASSERTION_MAX_LIFETIME_SECONDS = 300;

/** The assertion's `sub` (unverified), naming the client when the body has no client_id. */
function subjectOf(assertion: string): string | undefined {
  try {
    const { sub } = decodeJwt(assertion);
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key of the client that may have signed an assertion with this header, of its algorithm: the
 * one named by `kid`, else the client's only key. A key registered without `kid` (so the only one)
 * matches any `kid`.
 */
function keyFor(keys: readonly ClientPublicKey[], header: ProtectedHeaderParameters): ClientPublicKey | string {
  const alg = header.alg as ClientAssertionAlgorithm;
  if (header.kid === undefined && keys.length > 1) return 'no kid, and the client has several keys';
  const key = keys.find((k) => (header.kid === undefined || k.kid === undefined || k.kid === header.kid) && k.algorithms.includes(alg));
  return key ?? 'no key of the client has this kid and algorithm';
}

/**
 * private_key_jwt (RFC 7523 §2.2, OpenID Connect Core §9): the client signs a short-lived JWT with
 * one of its keys (Client.jwks). Accepted: `iss` = `sub` = the client_id, `aud` one of the
 * endpoint's audiences (issuer, token endpoint, the endpoint called), `exp` at most five minutes
 * ahead, `iat` not in the future, `nbf` honoured, a `jti` used once (claimed in the database,
 * so on every instance), a signature by one of the client's keys with an algorithm of
 * CLIENT_ASSERTION_ALGORITHMS (never `none` or HS*). A client_id in the body must be the `sub`.
 */
export const privateKeyJwt: ClientAuthMethod = {
  name: 'private_key_jwt',
  registeredAs: 'PRIVATE_KEY_JWT',
  confidential: true,
  usesAuthorizationHeader: false,
  signingAlgorithms: CLIENT_ASSERTION_ALGORITHMS,
  read(authorization, params) {
    const type = params.get('client_assertion_type');
    const assertion = params.get('client_assertion');
    if (type === undefined && assertion === undefined) return undefined;
    if (authorization !== undefined || params.has('client_secret')) throw invalidRequest('Use one client authentication method, not two');
    if (type !== JWT_BEARER_ASSERTION_TYPE) throw invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
    if (assertion === undefined) throw invalidRequest('client_assertion is required with client_assertion_type');
    const clientId = params.get('client_id') ?? subjectOf(assertion);
    if (clientId === undefined) throw invalidClient(false);
    return { clientId, assertion };
  },
  async verify(presented, cached, { clock, audiences, assertions }) {
    if (presented.assertion === undefined) return 'no assertion';
    if (!cached) return 'unknown client';
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(presented.assertion);
    } catch {
      return 'malformed assertion';
    }
    if (!(CLIENT_ASSERTION_ALGORITHMS as readonly unknown[]).includes(header.alg)) return 'algorithm not allowed';
    const key = keyFor(cached.keys, header);
    if (typeof key === 'string') return key;
    const clientId = cached.client.clientId;
    const now = clock.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(presented.assertion, key.key, {
        algorithms: [header.alg!],
        issuer: clientId,
        subject: clientId,
        audience: [...audiences],
        currentDate: now,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'jti'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
      throw error;
    }
    const nowSeconds = now.getTime() / 1000;
    const exp = payload.exp!;
    if (exp > nowSeconds + CLIENT_ASSERTION_MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) return 'exp more than five minutes ahead';
    if (payload.iat !== undefined && payload.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) return 'iat in the future';
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > JTI_MAX) return 'jti missing or too long';
    // Remembered for as long as the assertion could be accepted (exp plus the tolerance).
    const first = await assertions.claim(clientAssertionIssuer(cached.client.id), jti, new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000));
    return first ? undefined : 'jti already used (replay)';
  },
};
