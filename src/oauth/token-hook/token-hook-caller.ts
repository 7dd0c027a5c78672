import { createHmac } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tokenHookUrlProblem } from '../../domain/token-hook/token-hook.rules';
import type { ActiveTokenHook } from '../../domain/token-hook/token-hook.service';
import { normalizeHostname } from '../../lib/hostname';
import { PROTECTED_CLAIMS } from '../tokens/token-context';
import { isForbiddenAddress } from './address-policy';
import { TokenHookFault } from './token-hook-fault';
import type { TokenHookPayload } from './token-hook-payload';

/** Largest hook answer read; past it the call is aborted. */
export const TOKEN_HOOK_RESPONSE_MAX_BYTES = 8 * 1024;

const FORBIDDEN_ADDRESS =
  'address not allowed: the host is, or resolves to, a loopback, private, link-local or metadata address (list it in TOKEN_HOOK_ALLOWED_HOSTS to allow it)';

/** Raised inside the connection's DNS lookup, recognized when the request fails. */
class ForbiddenAddressError extends Error {
  readonly code = 'EHOOKFORBIDDEN';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A DNS lookup for the hook's connection that refuses forbidden addresses. The connection goes to
 * the address this lookup returns, so what is checked is what is connected to: a host that
 * resolves differently a moment later (DNS rebinding) gains nothing. A host that resolves to any
 * forbidden address is refused, whatever else it resolves to.
 */
function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { family: options.family, hints: options.hints, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    if (addresses.length === 0 || addresses.some((a) => isForbiddenAddress(a.address))) {
      return callback(new ForbiddenAddressError(FORBIDDEN_ADDRESS), []);
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
}

/**
 * Calls token hooks: POST of the JSON payload, signed, with a deadline, refusing forbidden
 * addresses, never following redirects, reading at most 8 KB. Answers the claims, or throws a
 * TokenHookFault whose message is a summary of ours (never the body).
 *
 * Signature: `X-Hook-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`, keyed with the
 * hook secret; `X-Hook-Timestamp: <unix seconds>`, also inside the signed body.
 */
export class TokenHookCaller {
  // Kept-alive connections: a token request pays the TCP (and TLS) handshake once per socket, not
  // per call. Idle sockets close after 4 s, before common server idle timeouts (Node's 5 s).
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 }),
  };

  constructor(
    /** TOKEN_HOOK_ALLOWED_HOSTS (normalized): may use http and reach any address. */
    private readonly allowedHosts: ReadonlySet<string>,
  ) {}

  async call(hook: Pick<ActiveTokenHook, 'url' | 'timeoutMs' | 'secret'>, payload: TokenHookPayload): Promise<Record<string, unknown>> {
    // The allow-list may have changed since the hook was set.
    if (tokenHookUrlProblem(hook.url, this.allowedHosts) !== null) {
      throw new TokenHookFault(
        'forbidden_address',
        'URL not allowed: https is required unless the host is listed in TOKEN_HOOK_ALLOWED_HOSTS',
      );
    }
    const url = new URL(hook.url);
    const allowed = this.allowedHosts.has(normalizeHostname(url.hostname));
    // An IP literal is connected to without a lookup: checked here.
    const literal = normalizeHostname(url.hostname);
    if (!allowed && net.isIP(literal) !== 0 && isForbiddenAddress(literal)) {
      throw new TokenHookFault('forbidden_address', FORBIDDEN_ADDRESS);
    }
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const signature = createHmac('sha256', hook.secret).update(body).digest('hex');
    const text = await this.post(
      url,
      allowed,
      body,
      {
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': 'apiauth-token-hook/1',
        'x-hook-signature': `sha256=${signature}`,
        'x-hook-timestamp': String(payload.timestamp),
      },
      hook.timeoutMs,
    );
    return parseAnswer(text);
  }

  /** Closes idle kept-alive connections (at shutdown). */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  private post(url: URL, allowed: boolean, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const transport = url.protocol === 'https:' ? https : http;
      let request: http.ClientRequest;
      let settled = false;
      const finish = (error: TokenHookFault | null, text?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          request.destroy();
          reject(error);
        } else resolve(text!);
      };
      // One deadline for lookup, connect, sending and the whole answer, retry included.
      const timer = setTimeout(() => finish(new TokenHookFault('timeout', `timed out after ${timeoutMs} ms`)), timeoutMs);
      const send = (retried: boolean) => {
        request = transport.request(url, {
          method: 'POST',
          headers: { ...headers, 'content-length': String(body.length) },
          agent: this.agents[url.protocol as 'http:' | 'https:'],
          lookup: allowed ? undefined : (guardedLookup as unknown as net.LookupFunction),
        });
        request.on('error', (error: NodeJS.ErrnoException) => {
          if (settled) return;
          // A kept-alive socket the hook closed as the call went out: once more, on a new one (Node's
          // advice; a hook only computes claims, so a repeated call is harmless).
          if (!retried && request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) return send(true);
          if (error instanceof ForbiddenAddressError) finish(new TokenHookFault('forbidden_address', FORBIDDEN_ADDRESS));
          else finish(new TokenHookFault('network', `could not reach the hook (${safeCode(error)})`));
        });
        request.on('response', (response) => {
          const status = response.statusCode ?? 0;
          if (status < 200 || status > 299) {
            const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
            return finish(new TokenHookFault('status', `answered HTTP ${status}${redirect}`));
          }
          const declared = Number(response.headers['content-length']);
          if (declared > TOKEN_HOOK_RESPONSE_MAX_BYTES) return finish(tooLarge());
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > TOKEN_HOOK_RESPONSE_MAX_BYTES) return finish(tooLarge());
            chunks.push(chunk);
          });
          response.on('end', () => finish(null, Buffer.concat(chunks).toString('utf8')));
          response.on('error', (error: NodeJS.ErrnoException) =>
            finish(new TokenHookFault('network', `the answer was cut off (${safeCode(error)})`)),
          );
        });
        request.end(body);
      };
      send(false);
    });
  }
}

/** `{ "claims": { … } }`: an object of claims, none of them protected. */
function parseAnswer(text: string): Record<string, unknown> {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new TokenHookFault('invalid_response', 'answered something other than JSON');
  }
  const claims = isObject(answer) ? answer.claims : undefined;
  if (!isObject(claims)) throw new TokenHookFault('invalid_response', 'answered JSON without a "claims" object');
  const refused = Object.keys(claims).filter((name) => PROTECTED_CLAIMS.has(name));
  if (refused.length > 0) {
    throw new TokenHookFault('protected_claim', `answered protected claims: ${refused.join(', ')}`);
  }
  return claims;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tooLarge(): TokenHookFault {
  return new TokenHookFault('invalid_response', `answered more than ${TOKEN_HOOK_RESPONSE_MAX_BYTES} bytes`);
}

/** The error's code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED…), never its message (it may name addresses). */
function safeCode(error: NodeJS.ErrnoException): string {
  return typeof error.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(error.code) ? error.code : 'connection error';
}
