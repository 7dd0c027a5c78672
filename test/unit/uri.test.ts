import { isAbsoluteUri } from '../../src/lib/uri';
import { API_IDENTIFIER_MAX, apiIdentifierProblem } from '../../src/lib/api-identifier';

describe('isAbsoluteUri (RFC 3986 §4.3 absolute-URI)', () => {
  it.each([
    'https://api.example.com/',
    'https://api.example.com',
    'http://localhost:4000/api/v2/',
    'https://api.example.com/v1?tenant=a&x=%2F',
    'urn:example:organizer',
    'api://default',
    'mailto:someone@example.com',
    'https://user:pass@example.com:8443/a/b',
    'https://[2001:db8::1]:443/',
    'https://[v1.fe80::a+en1]/',
    'https://127.0.0.1/',
    'https://',
    'a+b.c-d:',
    'localhost:4000',
    "https://example.com/!$&'()*+,;=:@-._~",
  ])('accepts %s', (value) => {
    expect(isAbsoluteUri(value)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['relative path', '/api'],
    ['without scheme', 'api.example.com'],
    ['network-path reference', '//api.example.com/'],
    ['scheme starting with a digit', '1http://x'],
    ['scheme with an underscore', 'my_scheme:x'],
    ['with a fragment', 'https://api.example.com/#frag'],
    ['with an empty fragment', 'https://api.example.com/#'],
    ['with a space', 'https://api.example.com/a b'],
    ['with a tab', 'https://api.example.com/\t'],
    ['with a newline', 'https://api.example.com/\n'],
    ['with a bad percent-encoding', 'https://api.example.com/%zz'],
    ['with a truncated percent-encoding', 'https://api.example.com/%2'],
    ['with non-ASCII', 'https://bücher.example/'],
    ['with a backslash', 'https://api.example.com\\path'],
    ['with < or >', 'https://api.example.com/<x>'],
    ['with a non-numeric port', 'https://api.example.com:http/'],
    ['with two @ in the authority', 'https://a@b@example.com/'],
    ['with an unclosed IP literal', 'https://[2001:db8::1/'],
    ['with an invalid IPv6 literal', 'https://[2001:db8:::1]/'],
    ['with an IPv6 zone id', 'https://[fe80::1%25en0]/'],
    ['with brackets in the path', 'https://example.com/[x]'],
    ['with a quote', 'https://example.com/"x"'],
  ])('refuses a value %s', (_label, value) => {
    expect(isAbsoluteUri(value)).toBe(false);
  });
});

describe('apiIdentifierProblem', () => {
  it(`accepts absolute URIs of 1 to ${API_IDENTIFIER_MAX} characters`, () => {
    const base = 'https://api.example.com/';
    expect(apiIdentifierProblem(base + 'p'.repeat(API_IDENTIFIER_MAX - base.length))).toBeNull();
    expect(apiIdentifierProblem('urn:x')).toBeNull();
  });

  it('names the length or the URI rule', () => {
    expect(apiIdentifierProblem('')).toBe(`must be 1 to ${API_IDENTIFIER_MAX} characters`);
    expect(apiIdentifierProblem(`https://a.example/${'p'.repeat(API_IDENTIFIER_MAX)}`)).toBe(
      `must be 1 to ${API_IDENTIFIER_MAX} characters`,
    );
    expect(apiIdentifierProblem('https://a.example/#x')).toMatch(/^must be an absolute URI without whitespace or fragment/);
  });
});
