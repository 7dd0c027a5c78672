import { redactSecrets } from '../../src/domain/audit/redact';

describe("redactSecrets (the audit log's safety net)", () => {
  it('replaces secret-bearing keys at any depth and keeps settings whose names merely mention tokens', () => {
    const summary = {
      name: 'API',
      clientSecret: 'abc',
      signingSecret: 'def',
      token: 'eyJ...',
      access_token: 'eyJ...',
      password: 'p',
      tokenLifetime: 3600,
      tokenDialect: 'RFC9068_PROFILE',
      tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
      revokeIssuedTokens: true,
      requirePushedAuthorizationRequests: true,
      headers: { authorization: 'Basic abc', proxyAuthorization: 'Basic def' },
      nested: { privateKey: 'pem', jwk: { kty: 'RSA', n: 'modulus', e: 'AQAB', d: 'private', p: 'x', q: 'y', dp: 'a', dq: 'b', qi: 'c' } },
      list: [{ refreshToken: 'r' }],
    };
    expect(redactSecrets(summary)).toEqual({
      name: 'API',
      clientSecret: '[REDACTED]',
      signingSecret: '[REDACTED]',
      token: '[REDACTED]',
      access_token: '[REDACTED]',
      password: '[REDACTED]',
      tokenLifetime: 3600,
      tokenDialect: 'RFC9068_PROFILE',
      tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
      revokeIssuedTokens: true,
      requirePushedAuthorizationRequests: true,
      headers: { authorization: '[REDACTED]', proxyAuthorization: '[REDACTED]' },
      nested: {
        privateKey: '[REDACTED]',
        jwk: {
          kty: 'RSA',
          n: 'modulus',
          e: 'AQAB',
          d: '[REDACTED]',
          p: '[REDACTED]',
          q: '[REDACTED]',
          dp: '[REDACTED]',
          dq: '[REDACTED]',
          qi: '[REDACTED]',
        },
      },
      list: [{ refreshToken: '[REDACTED]' }],
    });
  });

  it('bounds what it keeps: long strings, long lists and deep nesting are cut; dates become ISO strings', () => {
    const deep = { l2: { l3: { l4: { l5: { l6: { l7: 1 } } } } } };
    const out = redactSecrets({ text: 'x'.repeat(5000), items: Array.from({ length: 500 }, (_, i) => i), deep, at: new Date(0) }) as Record<
      string,
      any
    >;
    expect(out.text).toHaveLength(1001);
    expect(out.items).toHaveLength(100);
    expect(out.deep.l2.l3.l4.l5.l6).toBe('[TRUNCATED]');
    expect(out.at).toBe('1970-01-01T00:00:00.000Z');
  });
});
