/**
 * Host names in one comparable form, so an allow-list entry and a URL's host match however either
 * was written: the WHATWG URL parser's form (lower case, IPv4 shorthands such as `127.1` expanded),
 * without IPv6 brackets and without a trailing dot. A leaf module: config, domain and oauth use it.
 */
export function normalizeHostname(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/**
 * The host of an allow-list entry (a host name or an IP address, without scheme, port or path) in
 * normalized form, or null when the entry is not one.
 */
export function parseHostEntry(entry: string): string | null {
  if (entry.length === 0 || entry.length > 253 || /[\s/?#@]/.test(entry)) return null;
  const bracketed = entry.includes(':') && !entry.startsWith('[') ? `[${entry}]` : entry;
  let url: URL;
  try {
    url = new URL(`http://${bracketed}/`);
  } catch {
    return null;
  }
  if (url.port !== '' || url.hostname === '') return null;
  return normalizeHostname(url.hostname);
}
