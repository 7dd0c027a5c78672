import { LRUCache } from 'lru-cache';
import { isDatabaseUnavailable } from '../db/database-errors';

/** How many entries a LoadCache keeps: values found, and keys known to name nothing. */
export interface LoadCacheSize {
  entries: number;
  missingEntries: number;
}

/** A secondary index over a cache's found values (e.g. client uuid → client_id), kept exact by the cache. */
export interface CacheIndex<T> {
  add(key: string, value: T): void;
  remove(key: string, value: T): void;
}

interface Entry<T> {
  promise: Promise<T | null>;
  /** The value once loaded: what a stale entry falls back on while the database is unreachable. */
  settled?: { value: T | null };
  /** Loaded before a reconnection of the change feed: reload on next use (see markAllStale). */
  stale: boolean;
}

/**
 * A bounded cache of database loads for one kind of key (client ids, API identifiers, …).
 *
 * - Concurrent requests for a key share one load (misses coalesce).
 * - Values found and keys that name nothing live in separate LRUs, so a flood of unknown keys
 *   evicts only other unknown keys, never the entries serving real clients.
 * - `delete` drops one key; a load that was in flight for it finishes for its waiters but is not kept,
 *   so a stale read never outlives the change that made it stale.
 * - `markAllStale` (the change feed reconnected: notices may have been missed) makes every entry
 *   reload on next use, and answer from its last value if the database cannot be reached.
 */
export class LoadCache<T extends NonNullable<unknown>> {
  private readonly found: LRUCache<string, Entry<T>>;
  private readonly missing: LRUCache<string, Entry<T>>;
  /** Keys whose load is in flight (see dropLoading). */
  private readonly loading = new Set<string>();
  hits = 0;
  misses = 0;

  constructor(
    size: LoadCacheSize,
    /** Told when a found value enters the cache and when it leaves (evicted, deleted, replaced): keeps secondary indexes exact. */
    private readonly index?: CacheIndex<T>,
  ) {
    // Bounded by a size of 1 per entry rather than `max`, which would allocate room for every entry
    // up front (tens of MB for a million): the caches grow with what they hold.
    const one = () => 1;
    this.found = new LRUCache<string, Entry<T>>({
      maxSize: size.entries,
      sizeCalculation: one,
      dispose: index && ((entry, key) => entry.settled?.value != null && index.remove(key, entry.settled.value)),
    });
    this.missing = new LRUCache<string, Entry<T>>({ maxSize: size.missingEntries, sizeCalculation: one });
  }

  get size(): number {
    return this.found.size + this.missing.size;
  }

  get(key: string, load: () => Promise<T | null>): Promise<T | null> {
    const previous = this.found.get(key) ?? this.missing.get(key);
    if (previous && !previous.stale) {
      this.hits++;
      return previous.promise;
    }
    this.misses++;
    const entry: Entry<T> = { promise: undefined as unknown as Promise<T | null>, stale: false };
    const isCurrent = () => (this.found.peek(key) ?? this.missing.peek(key)) === entry;
    this.loading.add(key);
    // Settled: no longer loading, unless a newer load of the key has taken its place.
    const settled = () => {
      const current = this.found.peek(key) ?? this.missing.peek(key);
      if (current === undefined || current === entry) this.loading.delete(key);
    };
    entry.promise = load().then(
      (value) => {
        settled();
        if (!isCurrent()) return value;
        entry.settled = { value };
        if (value === null) {
          this.found.delete(key);
          this.missing.set(key, entry);
        } else {
          this.index?.add(key, value);
        }
        return value;
      },
      (error: unknown) => {
        settled();
        if (isCurrent()) {
          this.found.delete(key);
          // Unreachable database: the last value, kept (stale) for the next request to try again.
          if (previous?.settled && isDatabaseUnavailable(error)) {
            const value = previous.settled.value;
            if (value === null) this.missing.set(key, previous);
            else {
              this.found.set(key, previous);
              this.index?.add(key, value);
            }
          }
        }
        if (previous?.settled && isDatabaseUnavailable(error)) return previous.settled.value;
        throw error;
      },
    );
    this.missing.delete(key);
    this.found.set(key, entry);
    return entry.promise;
  }

  /** The value cached for `key`, fresh and loaded, without loading it or counting a lookup; undefined otherwise. */
  peek(key: string): T | undefined {
    const entry = this.found.peek(key);
    return entry && !entry.stale ? (entry.settled?.value ?? undefined) : undefined;
  }

  /** Drops one key (found or missing). */
  delete(key: string): void {
    this.found.delete(key);
    this.missing.delete(key);
    this.loading.delete(key);
  }

  /**
   * Drops every load in flight: their waiters get what they read, but nothing is kept. For a change
   * whose key is not known yet (an entry still loading is not indexed), so a read from before the
   * change never outlives it.
   */
  dropLoading(): void {
    for (const key of this.loading) {
      const entry = this.found.peek(key);
      if (entry && entry.settled === undefined) this.found.delete(key);
    }
    this.loading.clear();
  }

  /** Drops every key known to name nothing: something was created, and any of them may name it now. */
  forgetMissing(): void {
    this.missing.clear();
  }

  clear(): void {
    this.found.clear();
    this.missing.clear();
    this.loading.clear();
  }

  /** Every entry reloads on next use, falling back on its last value while the database is unreachable. */
  markAllStale(): void {
    for (const cache of [this.found, this.missing]) for (const entry of cache.values()) entry.stale = true;
  }
}
