import { isIPv6 } from 'node:net';

/*
 * RFC 3986 §4.3 absolute-URI = scheme ":" hier-part [ "?" query ]: no fragment, ASCII only, every
 * "%" followed by two hex digits. Written from the ABNF rather than with WHATWG `new URL()`, which
 * repairs input (spaces, backslashes, missing hosts) instead of refusing it.
 */
const PCT_ENCODED = '%[0-9A-Fa-f]{2}';
/** unreserved / sub-delims */
const PLAIN = "A-Za-z0-9\\-._~!$&'()*+,;=";
const PCHAR = `(?:[${PLAIN}:@]|${PCT_ENCODED})`;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const PATH = new RegExp(`^(?:${PCHAR}|/)*$`);
const QUERY = new RegExp(`^(?:${PCHAR}|[/?])*$`);
const USERINFO = new RegExp(`^(?:[${PLAIN}:]|${PCT_ENCODED})*$`);
const REG_NAME = new RegExp(`^(?:[${PLAIN}]|${PCT_ENCODED})*$`);
const IP_FUTURE = new RegExp(`^v[0-9A-Fa-f]+\\.[${PLAIN}:]+$`);
const PORT = /^[0-9]*$/;

/** authority = [ userinfo "@" ] host [ ":" port ], host = IP-literal / IPv4address / reg-name */
function isAuthority(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  if (at >= 0 && !USERINFO.test(authority.slice(0, at))) return false;
  const hostPort = authority.slice(at + 1);
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return false;
    const literal = hostPort.slice(1, close);
    const rest = hostPort.slice(close + 1);
    const validLiteral = IP_FUTURE.test(literal) || (isIPv6(literal) && !literal.includes('%'));
    return validLiteral && (rest === '' || (rest.startsWith(':') && PORT.test(rest.slice(1))));
  }
  const colon = hostPort.indexOf(':');
  if (colon < 0) return REG_NAME.test(hostPort);
  return REG_NAME.test(hostPort.slice(0, colon)) && PORT.test(hostPort.slice(colon + 1));
}

/**
 * True when `value` is an absolute URI (RFC 3986 §4.3), which by definition has no fragment: what
 * RFC 8707 requires of `resource` and what this service requires of an API identifier (`aud`).
 * `https://api.example.com/v1`, `urn:example:api` and `api://default` are; `/v1`,
 * `api.example.com`, `https://a.example/#x` and anything with whitespace are not.
 */
export function isAbsoluteUri(value: string): boolean {
  const colon = value.indexOf(':');
  if (colon < 1 || !SCHEME.test(value.slice(0, colon))) return false;
  const rest = value.slice(colon + 1);
  const question = rest.indexOf('?');
  const hierPart = question < 0 ? rest : rest.slice(0, question);
  if (question >= 0 && !QUERY.test(rest.slice(question + 1))) return false;
  // hier-part = "//" authority path-abempty / path-absolute / path-rootless / path-empty
  if (!hierPart.startsWith('//')) return PATH.test(hierPart);
  const slash = hierPart.indexOf('/', 2);
  const authority = slash < 0 ? hierPart.slice(2) : hierPart.slice(2, slash);
  return isAuthority(authority) && (slash < 0 || PATH.test(hierPart.slice(slash)));
}
