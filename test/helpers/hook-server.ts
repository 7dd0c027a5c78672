import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** One request a token hook received, as sent (raw body bytes kept for signature checks). */
export interface HookCall {
  path: string;
  method: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: any;
}

export type HookHandler = (call: HookCall, response: http.ServerResponse) => void | Promise<void>;

export interface HookServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Every request received, in order. */
  calls: HookCall[];
  /** TCP connections accepted, whatever came over them. */
  connections(): number;
  /** Answers requests to `path` with `handler` (default: 404). */
  route(path: string, handler: HookHandler): void;
  callsTo(path: string): HookCall[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 playing token hooks, path by path. */
export async function startHookServer(): Promise<HookServer> {
  const routes = new Map<string, HookHandler>();
  const calls: HookCall[] = [];
  let connections = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
      const path = (request.url ?? '/').split('?')[0];
      const call: HookCall = { path, method: request.method ?? '', headers: request.headers, body, json };
      calls.push(call);
      const handler = routes.get(path);
      if (!handler) {
        response.writeHead(404).end();
        return;
      }
      Promise.resolve(handler(call, response)).catch(() => response.destroy());
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    connections: () => connections,
    route: (path, handler) => routes.set(path, handler),
    callsTo: (path) => calls.filter((c) => c.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers `{ "claims": claims }` (or any JSON body) with `status`. */
export function answer(body: unknown, status = 200): HookHandler {
  return (_call, response) => {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };
}

/** Whether the call's X-Hook-Signature is the HMAC-SHA256 of its exact body bytes under `secret`. */
export function signatureValid(call: HookCall, secret: string): boolean {
  const header = call.headers['x-hook-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(call.body).digest();
  const presented = Buffer.from(header.slice('sha256='.length), 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
