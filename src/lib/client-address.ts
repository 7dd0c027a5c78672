import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key that counts a client address against a rate limit or the sign-in throttle. An IPv4
 * address counts as itself (an IPv4-mapped IPv6 address as its IPv4 form); an IPv6 address counts
 * as its /64 network, since one subscriber commonly holds a whole /64 and could otherwise take a
 * fresh budget with each of its 2^64 addresses.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  const address = ip.split('%')[0];
  if (!isIPv6(address)) return ip;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, lower-case without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head, tail] = address.toLowerCase().split('::');
  const parse = (part: string | undefined): string[] => {
    if (!part) return [];
    const groups = part.split(':');
    const last = groups[groups.length - 1];
    // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
    if (last.includes('.')) {
      const [a, b, c, d] = last.split('.').map(Number);
      groups.splice(groups.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
    }
    return groups.map((g) => parseInt(g, 16).toString(16));
  };
  const first = parse(head);
  const last = parse(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - first.length - last.length).fill('0');
  return [...first, ...zeros, ...last];
}
