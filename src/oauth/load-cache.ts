import { isDatabaseUnavailable } from '../db/database-errors';
import { Lru } from './lru';

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

/**
 * A key's load in flight, or a value read before the change feed reconnected (stale). A value
 * loaded and current is held as itself, and a key known to name nothing as MISSING: no wrapper and
 * no promise per entry, which a million cached clients would each pay for.
 */
class Slot<T> {
  /** The load in flight; undefined once settled. */
  promise: Promise<T | null> | undefined = undefined;
  /** Settled: `value` is what the load found (null: nothing). */
  settled = false;
  /** The value once loaded: what a stale entry falls back on while the database is unreachable. */
  value: T | null = null;
  /** Loaded (or loading) before a reconnection of the change feed: reload on next use (see markAllStale). */
  stale = false;

  static stale<T>(value: T | null): Slot<T> {
    const slot = new Slot<T>();
    slot.settled = true;
    slot.value = value;
    slot.stale = true;
    return slot;
  }
}

/** A key known to name nothing, fresh. */
const MISSING = Object.freeze({ missing: true });
type Held<T> = T | Slot<T> | typeof MISSING;

/** The value an entry holds for its index: a found value, loaded; undefined for a load in flight or a key naming nothing. */
function foundValue<T>(held: Held<T>): T | undefined {
  if (held === MISSING) return undefined;
  if (held instanceof Slot) return held.settled ? (held.value ?? undefined) : undefined;
  return held as T;
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
  private readonly found: Lru<Held<T>>;
  private readonly missing: Lru<Held<T>>;
  /**
   * Loads in flight, outside both LRUs until they settle: a key not known yet takes no place among
   * the values found, so a flood of unknown keys cannot evict them while it is being looked up.
   */
  private readonly loading = new Map<string, Slot<T>>();
  hits = 0;
  misses = 0;

  constructor(
    size: LoadCacheSize,
    /** Told when a found value enters the cache and when it leaves (evicted, deleted, replaced): keeps secondary indexes exact. */
    private readonly index?: CacheIndex<T>,
  ) {
    this.found = new Lru<Held<T>>(
      size.entries,
      index &&
        ((key, held) => {
          const value = foundValue(held);
          if (value !== undefined) index.remove(key, value);
        }),
    );
    this.missing = new Lru<Held<T>>(size.missingEntries);
  }

  get size(): number {
    return this.found.size + this.missing.size + this.loading.size;
  }

  get(key: string, load: () => Promise<T | null>): Promise<T | null> {
    const inFlight = this.loading.get(key);
    if (inFlight && !inFlight.stale) {
      this.hits++;
      return inFlight.promise!;
    }
    const held = this.found.get(key) ?? this.missing.get(key);
    if (held !== undefined && !(held instanceof Slot && held.stale)) {
      this.hits++;
      if (held === MISSING) return Promise.resolve(null);
      if (held instanceof Slot) return Promise.resolve(held.value);
      return Promise.resolve(held as T);
    }
    this.misses++;
    // A stale entry (the only kind held here), whose value, if it has one, is the fallback.
    const previous = held instanceof Slot ? held : undefined;
    this.found.delete(key);
    this.missing.delete(key);
    const slot = new Slot<T>();
    this.loading.set(key, slot);
    /** Still the key's load: not dropped (delete, dropLoading, clear) nor overtaken by a newer one. */
    const isCurrent = () => this.loading.get(key) === slot;
    slot.promise = load().then(
      (value) => {
        if (!isCurrent()) return value;
        this.loading.delete(key);
        // Marked stale while loading: kept as read, reloaded on next use.
        const kept: Held<T> = slot.stale ? Slot.stale(value) : (value ?? MISSING);
        if (value === null) this.missing.set(key, kept);
        else {
          this.found.set(key, kept);
          this.index?.add(key, value);
        }
        return value;
      },
      (error: unknown) => {
        const fallback = previous?.settled === true && isDatabaseUnavailable(error) ? previous : undefined;
        if (isCurrent()) {
          this.loading.delete(key);
          // Unreachable database: the last value, kept (stale) for the next request to try again.
          if (fallback) {
            const value = fallback.value;
            if (value === null) this.missing.set(key, fallback);
            else {
              this.found.set(key, fallback);
              this.index?.add(key, value);
            }
          }
        }
        if (fallback) return fallback.value;
        throw error;
      },
    );
    return slot.promise;
  }

  /** The value cached for `key`, fresh and loaded, without loading it or counting a lookup; undefined otherwise. */
  peek(key: string): T | undefined {
    const held = this.found.peek(key);
    return held === undefined || (held instanceof Slot && held.stale) ? undefined : foundValue(held);
  }

  /** Drops one key (found, missing or loading). */
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
    for (const cache of [this.found, this.missing]) {
      for (const [key, held] of cache.entries()) {
        if (held instanceof Slot) held.stale = true;
        else cache.replace(key, Slot.stale(held === MISSING ? null : (held as T)));
      }
    }
    for (const slot of this.loading.values()) slot.stale = true;
  }
}
