/**
 * A least-recently-used map whose recency list lives in typed arrays: a use rewrites a few integers
 * and never stores a pointer. The token endpoint looks up a cached client on every request; an LRU
 * kept in a Map's insertion order (delete and re-insert per use) wrote each request's fresh key
 * string into a table of a million entries, and the young objects such writes keep alive made every
 * young-generation collection slower. Requests spread over a million cached clients ran at 0.84–0.86
 * of the 10-client rate with it, 0.91 with this (npm run bench:scale).
 *
 * Slots grow with use, 21 bytes more per entry than the Map alone (npm run bench:registry-memory);
 * lru-cache, the library for this, allocates all `max` slots up front (16 MB of arrays per
 * million-entry cache at start, and the registry has four). A slot freed by a deletion is reused.
 */
export class Lru<V> {
  /** key → its slot in the arrays below. */
  private readonly slots = new Map<string, number>();
  private readonly keys: (string | undefined)[] = [];
  private readonly values: (V | undefined)[] = [];
  /** The recency list, a slot's neighbours (-1: none): `older` towards `oldest`, `newer` towards `newest`. */
  private older = new Int32Array(16);
  private newer = new Int32Array(16);
  private oldest = -1;
  private newest = -1;
  /** Slots freed by deletions, reused before new ones. */
  private readonly free: number[] = [];

  constructor(
    private readonly max: number,
    /** Told of every value that leaves: evicted, deleted, cleared or replaced by another (not by `replace`). */
    private readonly onRemove?: (key: string, value: V) => void,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`an LRU holds at least one entry, not ${max}`);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The value of `key`, which becomes the most recently used. */
  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.toNewest(slot);
    return this.values[slot];
  }

  /** The value of `key`, leaving its place as it is. */
  peek(key: string): V | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  /** Sets `key` as the most recently used, evicting the least recently used key when full. */
  set(key: string, value: V): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      const old = this.values[slot] as V;
      this.values[slot] = value;
      this.toNewest(slot);
      if (old !== value) this.onRemove?.(key, old);
      return;
    }
    if (this.slots.size >= this.max) this.delete(this.keys[this.oldest] as string);
    const added = this.free.pop() ?? this.grow();
    this.keys[added] = key;
    this.values[added] = value;
    this.slots.set(key, added);
    this.link(added);
  }

  /** Replaces the value of a key present, in its place and without telling onRemove: the same value, held differently. */
  replace(key: string, value: V): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.values[slot] = value;
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    const value = this.values[slot] as V;
    this.unlink(slot);
    this.slots.delete(key);
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.free.push(slot);
    this.onRemove?.(key, value);
  }

  clear(): void {
    // Listed only for onRemove: the missing-ids cache has none, and is cleared on every client change.
    const entries = this.onRemove ? [...this.entries()] : [];
    this.slots.clear();
    this.keys.length = 0;
    this.values.length = 0;
    this.free.length = 0;
    this.older = new Int32Array(16);
    this.newer = new Int32Array(16);
    this.oldest = this.newest = -1;
    for (const [key, value] of entries) this.onRemove!(key, value);
  }

  /** Every entry, least recently used first. */
  *entries(): IterableIterator<[string, V]> {
    for (let slot = this.oldest; slot !== -1; slot = this.newer[slot]) yield [this.keys[slot] as string, this.values[slot] as V];
  }

  /** A new slot at the end of the arrays, the typed ones doubled when full. */
  private grow(): number {
    const slot = this.keys.length;
    this.keys.push(undefined);
    this.values.push(undefined);
    if (slot === this.older.length) {
      for (const list of ['older', 'newer'] as const) {
        const larger = new Int32Array(slot * 2);
        larger.set(this[list]);
        this[list] = larger;
      }
    }
    return slot;
  }

  /** Appends `slot` as the newest. */
  private link(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = -1;
    if (this.newest === -1) this.oldest = slot;
    else this.newer[this.newest] = slot;
    this.newest = slot;
  }

  private unlink(slot: number): void {
    const older = this.older[slot];
    const newer = this.newer[slot];
    if (older === -1) this.oldest = newer;
    else this.newer[older] = newer;
    if (newer === -1) this.newest = older;
    else this.older[newer] = older;
  }

  private toNewest(slot: number): void {
    if (slot === this.newest) return;
    this.unlink(slot);
    this.link(slot);
  }
}
