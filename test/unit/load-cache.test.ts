import { LoadCache } from '../../src/oauth/load-cache';
import { seededRandom } from '../helpers/seeded-random';

const unavailable = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A loader over a map, counting its calls. */
function source(values: Record<string, { v: string } | null>) {
  const calls: string[] = [];
  return {
    calls,
    load: (key: string) => async () => {
      calls.push(key);
      return values[key] ?? null;
    },
  };
}

describe('LoadCache', () => {
  it('loads a key once, however many ask at the same time, and answers from memory afterwards', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 10, missingEntries: 10 });
    const src = source({ a: { v: 'A' } });
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('a', src.load('a'))));
    expect(new Set(answers.map((a) => a?.v))).toEqual(new Set(['A']));
    expect(await cache.get('a', src.load('a'))).toEqual({ v: 'A' });
    expect(src.calls).toEqual(['a']);
    expect([cache.hits, cache.misses]).toEqual([50, 1]);
  });

  it('keeps at most `entries` values, dropping the least recently used', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 2, missingEntries: 2 });
    const src = source({ a: { v: 'A' }, b: { v: 'B' }, c: { v: 'C' } });
    await cache.get('a', src.load('a'));
    await cache.get('b', src.load('b'));
    await cache.get('a', src.load('a')); // a is now the most recent
    await cache.get('c', src.load('c')); // evicts b
    await cache.get('a', src.load('a'));
    await cache.get('b', src.load('b'));
    expect(src.calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('keeps unknown keys apart: a flood of them never evicts a value found', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 2, missingEntries: 3 });
    const src = source({ a: { v: 'A' } });
    await cache.get('a', src.load('a'));
    for (let i = 0; i < 1000; i++) expect(await cache.get(`x${i}`, src.load(`x${i}`))).toBeNull();
    src.calls.length = 0;
    expect(await cache.get('a', src.load('a'))).toEqual({ v: 'A' });
    expect(await cache.get('x999', src.load('x999'))).toBeNull();
    expect(src.calls).toEqual([]);
    expect(cache.size).toBe(1 + 3);
    // forgetMissing drops only the unknown keys.
    cache.forgetMissing();
    await cache.get('x999', src.load('x999'));
    await cache.get('a', src.load('a'));
    expect(src.calls).toEqual(['x999']);
  });

  it('keeps unknown keys apart while they are looked up too: a concurrent flood leaves a full cache of values found as it was', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 3, missingEntries: 3 });
    const src = source({ a: { v: 'A' }, b: { v: 'B' }, c: { v: 'C' } });
    for (const key of ['a', 'b', 'c']) await cache.get(key, src.load(key));
    // 100 never-seen ids at once: each is a load in flight before any of them settles.
    const flood = await Promise.all(Array.from({ length: 100 }, (_, i) => cache.get(`ghost${i}`, src.load(`ghost${i}`))));
    expect(flood.every((answer) => answer === null)).toBe(true);
    src.calls.length = 0;
    for (const key of ['a', 'b', 'c']) expect(cache.peek(key)).toEqual({ v: key.toUpperCase() });
    for (const key of ['a', 'b', 'c']) await cache.get(key, src.load(key));
    expect(src.calls).toEqual([]);
    expect(cache.size).toBe(3 + 3);
  });

  it('never keeps a load that was in flight when its key was dropped (its waiters still get it)', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 10, missingEntries: 10 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stale = cache.get('a', async () => {
      await gate;
      return { v: 'old' };
    });
    cache.delete('a');
    release();
    expect(await stale).toEqual({ v: 'old' });
    expect(await cache.get('a', async () => ({ v: 'new' }))).toEqual({ v: 'new' });
  });

  it('dropLoading: a load in flight when a change whose key is unknown arrives is not kept; settled entries stay', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 10, missingEntries: 10 });
    await cache.get('settled', async () => ({ v: 'S' }));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inFlight = cache.get('a', async () => {
      await gate;
      return { v: 'read before the change' };
    });
    cache.dropLoading();
    release();
    expect(await inFlight).toEqual({ v: 'read before the change' });
    const src = source({ a: { v: 'after' }, settled: { v: 'S2' } });
    expect(await cache.get('a', src.load('a'))).toEqual({ v: 'after' });
    expect(await cache.get('settled', src.load('settled'))).toEqual({ v: 'S' });
    expect(src.calls).toEqual(['a']);
  });

  it('tells its index of every value kept and every value that leaves, evicted or dropped', async () => {
    const events: string[] = [];
    const cache = new LoadCache<{ v: string }>(
      { entries: 1, missingEntries: 1 },
      { add: (key, value) => events.push(`+${key}=${value.v}`), remove: (key, value) => events.push(`-${key}=${value.v}`) },
    );
    await cache.get('a', async () => ({ v: 'A' }));
    await cache.get('b', async () => ({ v: 'B' })); // evicts a
    cache.delete('b');
    await cache.get('c', async () => null); // a miss is not indexed
    expect(events).toEqual(['+a=A', '-a=A', '+b=B', '-b=B']);
  });

  it('after markAllStale reloads each entry, and answers from its last value while the database is unreachable', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 10, missingEntries: 10 });
    await cache.get('a', async () => ({ v: 'A1' }));
    await cache.get('gone', async () => null);
    cache.markAllStale();
    expect(await cache.get('a', () => Promise.reject(unavailable()))).toEqual({ v: 'A1' });
    expect(await cache.get('gone', () => Promise.reject(unavailable()))).toBeNull();
    // Still stale: the next request asks the database again, and keeps what it answers.
    expect(await cache.get('a', async () => ({ v: 'A2' }))).toEqual({ v: 'A2' });
    expect(await cache.get('a', () => Promise.reject(new Error('not called')))).toEqual({ v: 'A2' });
    // Any other failure is the caller's, and nothing is kept.
    cache.markAllStale();
    await expect(cache.get('a', () => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
    expect(await cache.get('a', async () => ({ v: 'A3' }))).toEqual({ v: 'A3' });
  });
});

describe('LoadCache eviction order', () => {
  /** A reference LRU: keys oldest first. */
  class ReferenceLru {
    keys: string[] = [];
    constructor(private readonly max: number) {}
    use(key: string) {
      this.drop(key);
      this.keys.push(key);
      if (this.keys.length > this.max) this.keys.shift();
    }
    drop(key: string) {
      const at = this.keys.indexOf(key);
      if (at >= 0) this.keys.splice(at, 1);
    }
    has(key: string) {
      return this.keys.includes(key);
    }
  }

  it('evicts exactly the least recently used key, over many uses, loads, deletions and evictions', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 7, missingEntries: 3 });
    const found = new ReferenceLru(7);
    const random = seededRandom(42);
    for (let step = 0; step < 5000; step++) {
      const key = `k${random(20)}`;
      if (random(10) === 0) {
        cache.delete(key);
        found.drop(key);
      } else {
        expect(await cache.get(key, async () => ({ v: key }))).toEqual({ v: key });
        found.use(key);
      }
      for (let k = 0; k < 20; k++) expect([`k${k}`, cache.peek(`k${k}`) !== undefined]).toEqual([`k${k}`, found.has(`k${k}`)]);
      expect(cache.size).toBe(found.keys.length);
    }
  });

  it('markAllStale keeps each entry in its place: reloading one makes it the most recent, the others keep their order', async () => {
    const cache = new LoadCache<{ v: string }>({ entries: 3, missingEntries: 3 });
    for (const key of ['a', 'b', 'c']) await cache.get(key, async () => ({ v: key }));
    cache.markAllStale();
    expect(await cache.get('a', async () => ({ v: 'a2' }))).toEqual({ v: 'a2' });
    await cache.get('d', async () => ({ v: 'd' })); // evicts b, the oldest now
    expect(['a', 'b', 'c', 'd'].map((key) => cache.peek(key)?.v)).toEqual(['a2', undefined, undefined, 'd']);
    // c is still held, stale: a failed reload on an unreachable database answers its last value.
    expect(await cache.get('c', () => Promise.reject(unavailable()))).toEqual({ v: 'c' });
    expect(await cache.get('b', () => Promise.reject(unavailable())).catch((e: Error) => e.message)).toBe('connect ECONNREFUSED');
  });
});
