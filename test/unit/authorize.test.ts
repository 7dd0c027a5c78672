import { randomBytes } from 'node:crypto';
import { scopesToAsk, ConsentInput } from '../../src/oauth/authorize/consent';
import { parseCookies, serializeCookie, signInCookieNames } from '../../src/oauth/authorize/cookies';
import { escapeHtml, formActionSource, pageCsp } from '../../src/oauth/authorize/pages';
import { isLoopbackRedirect, parseQuery, PageError } from '../../src/oauth/authorize/request';
import { csrfMatches, newCsrfToken, openTransaction, sealTransaction, TX_AAD, TX_ID } from '../../src/oauth/authorize/transaction';
import { SecretBox } from '../../src/crypto/secret-box';

describe('/authorize rules', () => {
  describe('consent (scopesToAsk)', () => {
    const base: ConsentInput = {
      isFirstParty: false,
      builtinConsole: false,
      allowSkippingUserConsent: true,
      loopbackRedirect: false,
      promptConsent: false,
      requested: ['a', 'b'],
      consented: [],
    };
    it.each<[string, Partial<ConsentInput>, string[] | null]>([
      ['third-party: asks for what is not consented', {}, ['a', 'b']],
      ['third-party: only the scopes not consented yet', { consented: ['a'] }, ['b']],
      ['third-party: nothing when all are consented', { consented: ['b', 'a', 'c'] }, null],
      ['third-party: a request without scope asks once', { requested: [] }, []],
      ['third-party: …then not again', { requested: [], consented: ['a'] }, null],
      ['first-party + skip allowed: never asks', { isFirstParty: true }, null],
      ['first-party + skip not allowed: asks', { isFirstParty: true, allowSkippingUserConsent: false }, ['a', 'b']],
      ['first-party + skip + loopback: asks', { isFirstParty: true, loopbackRedirect: true }, ['a', 'b']],
      [
        'first-party + skip + loopback: consented scopes not asked again',
        { isFirstParty: true, loopbackRedirect: true, consented: ['a', 'b'] },
        null,
      ],
      ['prompt=consent: always, everything', { consented: ['a', 'b'], promptConsent: true }, ['a', 'b']],
      ['prompt=consent beats skipping', { isFirstParty: true, promptConsent: true }, ['a', 'b']],
      [
        'the built-in console: never asks, loopback redirect and API without skipping included',
        { isFirstParty: true, builtinConsole: true, loopbackRedirect: true, allowSkippingUserConsent: false },
        null,
      ],
    ])('%s', (_name, change, expected) => {
      expect(scopesToAsk({ ...base, ...change })).toEqual(expected);
    });
  });

  it('loopback redirect URIs', () => {
    expect(isLoopbackRedirect('http://localhost:3000/cb')).toBe(true);
    expect(isLoopbackRedirect('http://127.0.0.1/cb')).toBe(true);
    expect(isLoopbackRedirect('http://127.8.9.10/cb')).toBe(true);
    expect(isLoopbackRedirect('http://[::1]:8080/cb')).toBe(true);
    expect(isLoopbackRedirect('https://LOCALHOST/cb')).toBe(true);
    expect(isLoopbackRedirect('https://localhost.example.com/cb')).toBe(false);
    expect(isLoopbackRedirect('https://app.example/cb')).toBe(false);
    expect(isLoopbackRedirect('com.example.app:/cb')).toBe(false);
  });

  it('query parsing: repeats noted, empty values ignored, limits enforced', () => {
    expect(parseQuery('a=1&b=&a=2&c=3')).toEqual({
      params: [
        ['a', '1'],
        ['a', '2'],
        ['c', '3'],
      ],
      repeated: new Set(['a']),
    });
    expect(() => parseQuery(`x=${'a'.repeat(4097)}`)).toThrow(PageError);
    expect(() => parseQuery(Array.from({ length: 31 }, (_, i) => `p${i}=1`).join('&'))).toThrow(PageError);
  });

  it('pages: escaping, CSP form-action sources', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(formActionSource('https://app.example/cb?x=1')).toBe('https://app.example');
    expect(formActionSource('http://127.0.0.1:5000/cb')).toBe('http://127.0.0.1:5000');
    expect(formActionSource('com.example.app:/callback')).toBe('com.example.app:');
    expect(formActionSource('not a url')).toBeNull();
    expect(pageCsp({ styleNonce: 'S', formAction: ["'self'", 'https://app.example'] })).toBe(
      "default-src 'none'; style-src 'nonce-S'; script-src 'none'; img-src data:; form-action 'self' https://app.example; base-uri 'none'; frame-ancestors 'none'",
    );
    expect(pageCsp({ styleNonce: 'S', scriptNonce: 'J', formAction: [] })).toContain(
      "script-src 'nonce-J'; img-src data:; form-action 'none'",
    );
  });

  it('cookies: the whole site (Path=/, no Domain), HttpOnly, SameSite=Lax, Secure when asked', () => {
    expect(serializeCookie('a', 'v', { maxAge: 60, secure: true })).toBe('a=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure');
    expect(serializeCookie('a', 'v', { secure: false })).toBe('a=v; Path=/; HttpOnly; SameSite=Lax');
    // __Host- names on https (which need Secure, Path=/ and no Domain); plain names on http.
    expect(signInCookieNames(true)).toEqual({ session: '__Host-apiauth_session', csrf: '__Host-apiauth_csrf' });
    expect(signInCookieNames(false)).toEqual({ session: 'apiauth_session', csrf: 'apiauth_csrf' });
    expect(parseCookies('a=1; b="2"; a=3; junk; =x')).toEqual(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    );
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('transactions: sealed, typed, expiring, each with its own id; CSRF compared three ways', () => {
    const box = new SecretBox(randomBytes(32));
    const csrf = newCsrfToken();
    const sealed = sealTransaction(box, { kind: 'login', params: [['client_id', 'x']], csrf });
    const opened = openTransaction(box, sealed, 'login');
    expect(opened).toMatchObject({ kind: 'login', params: [['client_id', 'x']], csrf, id: expect.stringMatching(TX_ID) });
    expect(openTransaction(box, sealTransaction(box, { kind: 'login', params: [], csrf }), 'login')!.id).not.toBe(opened!.id);
    // Sealed without an id (before forms had one): refused.
    expect(openTransaction(box, box.seal(JSON.stringify({ kind: 'login', params: [], csrf, exp: 2e9 }), TX_AAD), 'login')).toBeNull();
    expect(
      openTransaction(box, box.seal(JSON.stringify({ kind: 'login', params: [], csrf, id: opened!.id, exp: 2e9 }), TX_AAD), 'login'),
    ).not.toBeNull();
    expect(openTransaction(box, sealed, 'consent')).toBeNull();
    expect(openTransaction(new SecretBox(randomBytes(32)), sealed, 'login')).toBeNull();
    expect(openTransaction(box, sealed, 'login', Date.now() + 601_000)).toBeNull();
    expect(openTransaction(box, undefined, 'login')).toBeNull();
    // Another purpose's ciphertext (same key, other associated data) does not open.
    expect(openTransaction(box, box.seal(JSON.stringify({ kind: 'login', params: [], csrf, exp: 2e9 }), 'other'), 'login')).toBeNull();

    expect(csrfMatches(csrf, csrf, csrf)).toBe(true);
    expect(csrfMatches(csrf, newCsrfToken(), csrf)).toBe(false);
    expect(csrfMatches(undefined, csrf, csrf)).toBe(false);
    expect(csrfMatches(csrf, csrf, newCsrfToken())).toBe(false);
    expect(csrfMatches('short', 'short', 'short')).toBe(false);
  });
});
