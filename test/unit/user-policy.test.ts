import { applyUserPolicy } from '../../src/oauth/user-policy';
import { OFFLINE_ACCESS } from '../../src/oauth/standard-scopes';
import type { CachedApi } from '../../src/oauth/registry';
import type { ResourceServerEntity } from '../../src/domain/resource-server/resource-server.entity';

const USER = '11111111-1111-4111-8111-111111111111';
const API_ID = '22222222-2222-4222-8222-222222222222';

function api(enforcePolicies: boolean, scopes = ['read', 'write', 'delete']): CachedApi {
  return { server: { id: API_ID, enforcePolicies } as ResourceServerEntity, scopes: new Set(scopes) };
}

describe('applyUserPolicy', () => {
  const calls: [string, string][] = [];
  const roles = (held: string[]) => ({
    async permissionsOf(userId: string, resourceServerId: string) {
      calls.push([userId, resourceServerId]);
      return held;
    },
  });
  beforeEach(() => {
    calls.length = 0;
  });

  it('enforcePolicies off: the requested scopes, permissions = the same (roles not read)', async () => {
    expect(await applyUserPolicy(roles(['delete']), api(false), USER, ['write', 'read'])).toEqual({
      scopes: ['write', 'read'],
      permissions: ['write', 'read'],
    });
    expect(calls).toEqual([]);
  });

  it('enforcePolicies on: requested ∩ held in the requested order; permissions = every held scope the API still defines', async () => {
    expect(await applyUserPolicy(roles(['delete', 'gone', 'read']), api(true), USER, ['write', 'read'])).toEqual({
      scopes: ['read'],
      permissions: ['delete', 'read'],
    });
    expect(calls).toEqual([[USER, API_ID]]);
    expect(await applyUserPolicy(roles([]), api(true), USER, ['read'])).toEqual({ scopes: [], permissions: [] });
  });

  it('offline_access passes through when requested (never a permission), with or without roles', async () => {
    expect(await applyUserPolicy(roles([]), api(true), USER, ['read', OFFLINE_ACCESS])).toEqual({
      scopes: [OFFLINE_ACCESS],
      permissions: [],
    });
    expect(await applyUserPolicy(roles(['read']), api(true), USER, [OFFLINE_ACCESS, 'read', 'write'])).toEqual({
      scopes: [OFFLINE_ACCESS, 'read'],
      permissions: ['read'],
    });
    expect(await applyUserPolicy(roles([]), api(false), USER, ['read', OFFLINE_ACCESS])).toEqual({
      scopes: ['read', OFFLINE_ACCESS],
      permissions: ['read'],
    });
  });
});
