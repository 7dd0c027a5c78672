import Fastify from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AccessLogController, loggerOptions, pathOf, registerRequestCompletion, requestIdOf } from '../../src/http/logging';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('logging helpers', () => {
  it('keeps a safe x-request-id and replaces anything else with a UUID', () => {
    const of = (value?: string | string[]) => requestIdOf({ headers: { 'x-request-id': value } } as unknown as IncomingMessage);
    expect(of('abc-123_XYZ.4')).toBe('abc-123_XYZ.4');
    expect(of('x'.repeat(100))).toBe('x'.repeat(100));
    for (const bad of [
      undefined,
      'short',
      'x'.repeat(101),
      'with space 123',
      'line\nbreak123',
      'semi;colon123',
      ['a-valid-id-1', 'a-valid-id-2'],
    ]) {
      expect(of(bad)).toMatch(UUID);
    }
  });

  it('logs the path without the query string, bounded', () => {
    expect(pathOf('/oauth/token?client_secret=s3cret&code=abc')).toBe('/oauth/token');
    expect(pathOf('/graphql')).toBe('/graphql');
    expect(pathOf(`/${'a'.repeat(300)}`)).toHaveLength(201);
  });

  it('redacts secrets if a header set or a body is ever logged, and logs 5xx faults with the reqId', async () => {
    const lines: string[] = [];
    const app = Fastify({
      logger: loggerOptions('info', { write: (line) => void lines.push(line) }),
      logController: new AccessLogController(),
      genReqId: requestIdOf,
    });
    registerRequestCompletion(app, { accessLog: true });
    app.get('/boom', async () => {
      throw new Error('database exploded');
    });
    await app.ready();

    app.log.info(
      {
        req: {
          method: 'POST',
          url: '/oauth/token?client_secret=q-secret',
          headers: { authorization: 'Basic aGVhZGVy', cookie: 'sid=c-secret' },
        },
        headers: { authorization: 'Bearer h-secret' },
        body: {
          client_secret: 'b-secret',
          token: 't-secret',
          code: 'code-secret',
          subject_token: 's-secret',
          actor_token: 'a-secret',
          grant_type: 'client_credentials',
        },
      },
      'careless line',
    );
    const careless = JSON.parse(lines.pop()!);
    expect(careless.req).toEqual({ method: 'POST', path: '/oauth/token' });
    expect(careless.headers.authorization).toBe('[REDACTED]');
    expect(careless.body).toEqual({
      client_secret: '[REDACTED]',
      token: '[REDACTED]',
      code: '[REDACTED]',
      subject_token: '[REDACTED]',
      actor_token: '[REDACTED]',
      grant_type: 'client_credentials',
    });
    expect(JSON.stringify(careless)).not.toMatch(/[a-z]-secret|aGVhZGVy/);

    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${base}/boom?token=q-secret`, { headers: { 'x-request-id': 'fault-request-1' } });
    expect(response.status).toBe(500);
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    lines.splice(
      0,
      lines.findIndex((line) => line.includes('fault-request-1')),
    );
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged.map((line) => [line.msg, line.reqId, line.level])).toEqual([
      ['request failed', 'fault-request-1', 50],
      ['request', 'fault-request-1', 30],
    ]);
    expect(logged[0].err.message).toBe('database exploded');
    expect(logged[1]).toMatchObject({ method: 'GET', path: '/boom', route: '/boom', status: 500 });
    expect(lines.join('')).not.toContain('q-secret');
    await app.close();
  });
});
