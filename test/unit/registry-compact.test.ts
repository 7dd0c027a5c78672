import type { ClientForTokens, TokenClient, TokenReadModel } from '../../src/domain/token-read-model';
import { liveSecretHashes, Registry } from '../../src/oauth/registry';

/** A client as the read model returns it, every field set. */
const client = (clientId: string, uuid: string): TokenClient => ({
  id: uuid,
  clientId,
  name: `Client ${clientId}`,
  appType: 'MACHINE_TO_MACHINE',
  isFirstParty: false,
  grantTypes: ['CLIENT_CREDENTIALS', 'TOKEN_EXCHANGE'],
  tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
  callbacks: [],
  allowedOrigins: ['https://app.example'],
  allowedLogoutUrls: [],
  idTokenSigningAlgorithm: 'RS256',
  idTokenLifetime: 36_000,
  refreshTokenRotation: 'NON_ROTATING',
  refreshTokenLeeway: 0,
  refreshTokenAbsoluteLifetime: 2_592_000,
  refreshTokenIdleLifetime: 1_296_000,
  metadata: { tier: 'gold' },
  jwks: null,
  requirePushedAuthorizationRequests: false,
  builtin: null,
});

const API_1 = '00000000-0000-4000-8000-0000000000a1';
const API_2 = '00000000-0000-4000-8000-0000000000a2';
const hash = (c: string) => c.repeat(64);

/** A registry over a stand-in read model answering `rows` by client_id. */
function registryOver(rows: Record<string, () => ClientForTokens>) {
  const reads = {
    clientsForTokens: async (clientIds: readonly string[]) =>
      new Map(clientIds.filter((clientId) => rows[clientId]).map((clientId) => [clientId, rows[clientId]()])),
  } as unknown as TokenReadModel;
  return new Registry(reads, () => {
    throw new Error('no token hooks here');
  });
}

describe('Registry: clients as cached', () => {
  const expiry = new Date('2030-01-01T00:00:00Z');
  const registry = registryOver({
    one: () => ({
      client: client('one', '00000000-0000-4000-8000-000000000001'),
      secrets: [{ hash: hash('a'), expiresAt: null }],
      grants: [{ clientUuid: '00000000-0000-4000-8000-000000000001', resourceServerId: API_1, scopes: ['read:x'] }],
    }),
    two: () => ({
      client: client('two', '00000000-0000-4000-8000-000000000002'),
      secrets: [
        { hash: hash('b'), expiresAt: null },
        { hash: hash('c'), expiresAt: expiry },
      ],
      grants: [
        { clientUuid: '00000000-0000-4000-8000-000000000002', resourceServerId: API_1, scopes: ['read:x'] },
        { clientUuid: '00000000-0000-4000-8000-000000000002', resourceServerId: API_2, scopes: ['read:x', 'write:x'] },
      ],
    }),
    none: () => ({ client: client('none', '00000000-0000-4000-8000-000000000003'), secrets: [], grants: [] }),
    many: () => ({ client: client('many', '00000000-0000-4000-8000-000000000004'), secrets: [], grants: null }),
  });

  it('keeps every field of the client as read', async () => {
    for (const [clientId, uuid] of [
      ['one', '00000000-0000-4000-8000-000000000001'],
      ['two', '00000000-0000-4000-8000-000000000002'],
    ]) {
      expect({ ...(await registry.client(clientId))!.client }).toEqual(client(clientId, uuid));
    }
  });

  it('answers the live secrets of a client at any time: one that never expires, and one until its expiry', async () => {
    const one = (await registry.client('one'))!;
    const two = (await registry.client('two'))!;
    const none = (await registry.client('none'))!;
    for (const now of [0, expiry.getTime() - 1, expiry.getTime(), Date.now()]) {
      expect(liveSecretHashes(one, now)).toEqual([hash('a')]);
      expect(liveSecretHashes(none, now)).toEqual([]);
    }
    expect(liveSecretHashes(two, expiry.getTime() - 1)).toEqual([hash('b'), hash('c')]);
    expect(liveSecretHashes(two, expiry.getTime())).toEqual([hash('b')]);
  });

  it('answers each grant of a client from the client: one grant, several, none; read one by one when not held', async () => {
    await Promise.all(['one', 'two', 'none'].map((id) => registry.client(id)));
    expect(await registry.grant('00000000-0000-4000-8000-000000000001', API_1)).toEqual({
      clientUuid: '00000000-0000-4000-8000-000000000001',
      resourceServerId: API_1,
      scopes: ['read:x'],
    });
    expect(await registry.grant('00000000-0000-4000-8000-000000000001', API_2)).toBeNull();
    expect((await registry.grant('00000000-0000-4000-8000-000000000002', API_2))?.scopes).toEqual(['read:x', 'write:x']);
    expect((await registry.grant('00000000-0000-4000-8000-000000000002', API_1))?.scopes).toEqual(['read:x']);
    expect(await registry.grant('00000000-0000-4000-8000-000000000003', API_1)).toBeNull();
    expect(registry.stats().find((s) => s.cache === 'grants')).toEqual({ cache: 'grants', hits: 5, misses: 0 });
  });

  it('drops a client holding a grant on an API when the API changes, and only that one', async () => {
    await Promise.all(['one', 'two'].map((id) => registry.client(id)));
    const misses = () => registry.stats().find((s) => s.cache === 'clients')!.misses;
    const before = misses();
    registry.applyChange('resource_server', API_2);
    await registry.client('one');
    expect(misses()).toBe(before);
    await registry.client('two');
    expect(misses()).toBe(before + 1);
  });
});
