import { createHash, randomBytes } from 'node:crypto';

/**
 * A tiny browser for tests of the /authorize pages: a cookie jar (name → value, per host; paths
 * and expiry honoured enough for these tests), requests with manual redirects, and HTML form
 * parsing. No new packages.
 */

export interface AgentResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
  url: string;
}

interface StoredCookie {
  value: string;
  path: string;
  attributes: string[];
}

export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
  /** The submit buttons' name=value pairs. */
  buttons: { name: string; value: string; text: string }[];
}

const decodeHtml = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

const attr = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decodeHtml(match[1]) : undefined;
};

/** The forms of a page: action, method, hidden and text inputs, submit buttons. */
export function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const fields: Record<string, string> = {};
    for (const input of match[2].matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name !== undefined) fields[name] = attr(input[0], 'value') ?? '';
    }
    const buttons = [...match[2].matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((b) => ({
      name: attr(b[0], 'name') ?? '',
      value: attr(b[0], 'value') ?? '',
      text: b[2].trim(),
    }));
    forms.push({ action: attr(match[0], 'action') ?? '', method: (attr(match[0], 'method') ?? 'get').toLowerCase(), fields, buttons });
  }
  return forms;
}

/** The text content of the page (tags removed, entities decoded, whitespace collapsed). */
export function textOf(html: string): string {
  return decodeHtml(html.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

export class BrowserAgent {
  /** host → name → cookie */
  readonly jar = new Map<string, Map<string, StoredCookie>>();

  /** `headers` go with every request (e.g. the X-Forwarded-For a proxy would add). */
  constructor(
    private readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  cookie(name: string, host = new URL(this.base).host): StoredCookie | undefined {
    return this.jar.get(host)?.get(name);
  }

  /** The raw Set-Cookie lines of the last responses, for attribute assertions. */
  readonly setCookieLines: string[] = [];

  private store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      this.setCookieLines.push(line);
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      const maxAge = attributes.find((a) => /^max-age=/i.test(a));
      const cookies = this.jar.get(url.host) ?? new Map<string, StoredCookie>();
      this.jar.set(url.host, cookies);
      if (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) cookies.delete(name);
      else cookies.set(name, { value, path, attributes });
    }
  }

  private cookieHeader(url: URL): string | undefined {
    const cookies = this.jar.get(url.host);
    if (!cookies) return undefined;
    const pairs = [...cookies.entries()]
      .filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([name, c]) => `${name}=${c.value}`);
    return pairs.length > 0 ? pairs.join('; ') : undefined;
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<AgentResponse> {
    const target = new URL(url, this.base);
    const headers: Record<string, string> = { accept: 'text/html', ...this.headers, ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(target, response);
    return {
      status: response.status,
      headers: response.headers,
      text: await response.text(),
      location: response.headers.get('location'),
      url: target.href,
    };
  }

  get(url: string): Promise<AgentResponse> {
    return this.request(url);
  }

  /** Submits the page's form (the first, or the one whose action matches), with extra fields. */
  submit(page: AgentResponse, values: Record<string, string> = {}, actionMatch?: string): Promise<AgentResponse> {
    const forms = parseForms(page.text);
    const form = actionMatch ? forms.find((f) => f.action.includes(actionMatch)) : forms[0];
    if (!form) throw new Error(`no form on the page: ${page.text.slice(0, 300)}`);
    return this.request(new URL(form.action, page.url).href, { method: form.method.toUpperCase(), form: { ...form.fields, ...values } });
  }

  /**
   * Follows redirects on this server (e.g. the sign-in's 303 back to /authorize) and stops at the
   * first response that is not a same-origin redirect: a page, or the redirect to the client.
   */
  async follow(response: AgentResponse, max = 5): Promise<AgentResponse> {
    let current = response;
    for (let i = 0; i < max; i++) {
      if (current.status < 300 || current.status >= 400 || !current.location) return current;
      const next = new URL(current.location, current.url);
      if (next.origin !== new URL(this.base).origin) return current;
      current = await this.get(next.href);
    }
    return current;
  }
}

/** A PKCE pair (RFC 7636, S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The response parameters of a redirect to the client: from the query, or the fragment. */
export function responseParams(location: string, mode: 'query' | 'fragment' = 'query'): Record<string, string> {
  const url = new URL(location);
  const source = mode === 'query' ? url.search.slice(1) : url.hash.slice(1);
  return Object.fromEntries(new URLSearchParams(source));
}
