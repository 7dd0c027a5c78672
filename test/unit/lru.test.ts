import { Lru } from '../../src/oauth/lru';
import { seededRandom } from '../helpers/seeded-random';

describe('Lru', () => {
  it('keeps exactly the order of a reference LRU over many uses, sets, deletions and evictions, past its first slots', () => {
    const removed: string[] = [];
    const lru = new Lru<string>(100, (key, value) => removed.push(`${key}=${value}`));
    /** Keys oldest first, and their values. */
    const reference: string[] = [];
    const values = new Map<string, string>();
    const expectedRemoved: string[] = [];
    const random = seededRandom(7);
    for (let step = 0; step < 20_000; step++) {
      const key = `k${random(300)}`;
      const at = reference.indexOf(key);
      const op = random(10);
      if (op === 0) {
        lru.delete(key);
        if (at >= 0) {
          reference.splice(at, 1);
          expectedRemoved.push(`${key}=${values.get(key)}`);
        }
      } else if (op < 4) {
        expect(lru.get(key)).toBe(at >= 0 ? values.get(key) : undefined);
        if (at >= 0) reference.push(...reference.splice(at, 1));
      } else {
        const value = `v${step}`;
        lru.set(key, value);
        if (at >= 0) {
          reference.push(...reference.splice(at, 1));
          expectedRemoved.push(`${key}=${values.get(key)}`);
        } else {
          reference.push(key);
          if (reference.length > 100) {
            const evicted = reference.shift()!;
            expectedRemoved.push(`${evicted}=${values.get(evicted)}`);
          }
        }
        values.set(key, value);
      }
      if (step % 97 === 0) expect([...lru.entries()].map(([k]) => k)).toEqual(reference);
      expect(lru.size).toBe(reference.length);
    }
    expect([...lru.entries()]).toEqual(reference.map((key) => [key, values.get(key)]));
    expect(removed).toEqual(expectedRemoved);
  });

  it('peek and replace leave the order as it is; replace tells no one; setting the same value removes nothing', () => {
    const removed: string[] = [];
    const lru = new Lru<string>(3, (key) => removed.push(key));
    for (const key of ['a', 'b', 'c']) lru.set(key, key.toUpperCase());
    expect(lru.peek('a')).toBe('A');
    lru.replace('a', 'A2');
    lru.replace('missing', 'X');
    lru.set('b', 'B');
    expect([...lru.entries()]).toEqual([
      ['a', 'A2'],
      ['c', 'C'],
      ['b', 'B'],
    ]);
    expect(removed).toEqual([]);
    lru.set('d', 'D');
    expect(removed).toEqual(['a']);
    expect(lru.peek('missing')).toBeUndefined();
  });

  it('clears every entry, telling each, and is usable again', () => {
    const removed: string[] = [];
    const lru = new Lru<number>(50, (key) => removed.push(key));
    for (let i = 0; i < 40; i++) lru.set(`k${i}`, i);
    lru.clear();
    expect(lru.size).toBe(0);
    expect([...lru.entries()]).toEqual([]);
    expect(removed).toHaveLength(40);
    for (let i = 0; i < 60; i++) lru.set(`n${i}`, i);
    expect(lru.size).toBe(50);
    expect([...lru.entries()][0]).toEqual(['n10', 10]);
  });

  it('refuses a size below one', () => {
    expect(() => new Lru(0)).toThrow(RangeError);
  });
});
