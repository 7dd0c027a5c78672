import { randomUUID } from 'node:crypto';
import { AllowedOrigins, CHANGED_CLIENTS_MAX } from '../../src/oauth/allowed-origins';
import type { ClientOrigins } from '../../src/domain/token-read-model';

/** The clients table as the read model sees it, counting and (when asked) holding back each read. */
class Clients {
  readonly rows = new Map<string, string[]>();
  fullReads = 0;
  /** The uuids of each by-id read. */
  readonly byIdReads: string[][] = [];
  failing = false;
  /** Reads wait for `release()` while set. */
  private gate: { promise: Promise<void>; open: () => void } | undefined;

  hold(): void {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }
  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  async clientsAllowingOrigins(): Promise<ClientOrigins[]> {
    this.fullReads++;
    const snapshot = [...this.rows]
      .filter(([, origins]) => origins.length > 0)
      .map(([clientUuid, origins]) => ({ clientUuid, origins: [...origins] }));
    await this.gate?.promise;
    if (this.failing) throw new Error('connection refused');
    return snapshot;
  }

  async originsOfClients(uuids: readonly string[]): Promise<ClientOrigins[]> {
    this.byIdReads.push([...uuids]);
    const snapshot = uuids
      .filter((id) => this.rows.has(id))
      .map((clientUuid) => ({ clientUuid, origins: [...this.rows.get(clientUuid)!] }));
    await this.gate?.promise;
    if (this.failing) throw new Error('connection refused');
    return snapshot;
  }
}

const A = 'https://a.example';
const B = 'https://b.example';

describe('AllowedOrigins (the CORS preflight list, held per client)', () => {
  let clients: Clients;
  let origins: AllowedOrigins;
  const client = (list: string[]) => {
    const id = randomUUID();
    clients.rows.set(id, list);
    return id;
  };

  beforeEach(() => {
    clients = new Clients();
    origins = new AllowedOrigins(clients);
  });

  it('reads every client once, then answers from memory; a stored trailing slash is ignored', async () => {
    client([`${A}/`]);
    client([]);
    expect(await origins.allowedByAnyClient(A)).toBe(true);
    expect(await origins.allowedByAnyClient(B)).toBe(false);
    expect(await origins.allowedByAnyClient(`${A}/`)).toBe(false);
    expect(clients.fullReads).toBe(1);
    expect(clients.byIdReads).toEqual([]);
  });

  it('re-reads only the clients changed, and keeps an origin while any client allows it', async () => {
    const first = client([A]);
    const second = client([A, B]);
    const unrelated = client([]);
    expect(await origins.allowedByAnyClient(A)).toBe(true);

    origins.clientChanged(unrelated);
    expect(await origins.allowedByAnyClient(B)).toBe(true);
    expect(clients.byIdReads).toEqual([[unrelated]]);

    clients.rows.set(second, [A]);
    origins.clientChanged(second);
    expect(await origins.allowedByAnyClient(B)).toBe(false);
    expect(await origins.allowedByAnyClient(A)).toBe(true);

    clients.rows.delete(first);
    origins.clientChanged(first.toUpperCase());
    expect(await origins.allowedByAnyClient(A)).toBe(true);
    clients.rows.delete(second);
    origins.clientChanged(second);
    expect(await origins.allowedByAnyClient(A)).toBe(false);

    const created = client([B]);
    origins.clientChanged(created);
    expect(await origins.allowedByAnyClient(B)).toBe(true);
    expect(clients.fullReads).toBe(1);
  });

  it('reads many changed clients in batches of at most 100', async () => {
    client([A]);
    expect(await origins.allowedByAnyClient(A)).toBe(true);
    const changed = Array.from({ length: 250 }, () => client([B]));
    for (const id of changed) origins.clientChanged(id);
    expect(await origins.allowedByAnyClient(B)).toBe(true);
    expect(clients.byIdReads.map((ids) => ids.length)).toEqual([100, 100, 50]);
    expect(clients.fullReads).toBe(1);
  });

  it('reads every client again past CHANGED_CLIENTS_MAX changes, or for an id that is not a uuid', async () => {
    client([A]);
    await origins.allowedByAnyClient(A);
    for (let i = 0; i <= CHANGED_CLIENTS_MAX; i++) origins.clientChanged(randomUUID());
    await origins.allowedByAnyClient(A);
    expect(clients.fullReads).toBe(2);
    expect(clients.byIdReads).toEqual([]);

    origins.clientChanged('*');
    await origins.allowedByAnyClient(A);
    expect(clients.fullReads).toBe(3);
  });

  it('sees a change made while the first read was in flight', async () => {
    const id = client([A]);
    clients.hold();
    const first = origins.allowedByAnyClient(B);
    clients.rows.set(id, [A, B]);
    origins.clientChanged(id);
    clients.release();
    // The read began before the change: this question may answer either way, the next must see it.
    await first;
    expect(await origins.allowedByAnyClient(B)).toBe(true);
    expect(clients.byIdReads).toEqual([[id]]);
  });

  it('a question asked after a change waits for a read that includes it, not for the one already in flight', async () => {
    const id = client([A]);
    await origins.allowedByAnyClient(A);
    clients.hold();
    const before = origins.allowedByAnyClient(A);
    clients.rows.set(id, [B]);
    origins.clientChanged(id);
    const after = origins.allowedByAnyClient(B);
    clients.release();
    await before;
    expect(await after).toBe(true);
  });

  it('after a reset, reads every client again; while the database is unreachable the last list answers', async () => {
    client([A]);
    await origins.allowedByAnyClient(A);
    origins.reset();
    clients.failing = true;
    expect(await origins.allowedByAnyClient(A)).toBe(true);
    clients.failing = false;
    expect(await origins.allowedByAnyClient(A)).toBe(true);
    expect(clients.fullReads).toBe(3);
  });

  it('without a list yet, a failed read is an error, and the next question tries again', async () => {
    client([A]);
    clients.failing = true;
    await expect(origins.allowedByAnyClient(A)).rejects.toThrow('connection refused');
    clients.failing = false;
    expect(await origins.allowedByAnyClient(A)).toBe(true);
  });

  it('a failed re-read of changed clients keeps them changed', async () => {
    const id = client([A]);
    await origins.allowedByAnyClient(A);
    clients.rows.set(id, []);
    origins.clientChanged(id);
    clients.failing = true;
    await expect(origins.allowedByAnyClient(A)).rejects.toThrow('connection refused');
    clients.failing = false;
    expect(await origins.allowedByAnyClient(A)).toBe(false);
  });

  it('clear drops the list, and a read begun before it is not used', async () => {
    const id = client([A]);
    clients.hold();
    const stale = origins.allowedByAnyClient(A);
    origins.clear();
    clients.rows.set(id, [B]);
    clients.release();
    await stale;
    expect(await origins.allowedByAnyClient(A)).toBe(false);
    expect(await origins.allowedByAnyClient(B)).toBe(true);
  });
});
