import { READ_BATCH_MAX, type ClientOrigins, type TokenReadModel } from '../domain/token-read-model';
import { originOfEntry } from '../lib/cors';
import { isUuid } from '../lib/uuid';

/** Changed clients remembered one by one; past this many, the next question reads every client again. */
export const CHANGED_CLIENTS_MAX = 10_000;

/**
 * Every origin some client allows, for CORS preflights (which carry no client_id), held per
 * client: a change of one client re-reads that client's origins on the next question, where
 * dropping the whole list made that question read every client (a million rows at scale, after
 * every rename anywhere). Read in full on first use and after `reset`/`clear`.
 */
export class AllowedOrigins {
  /** Client uuid → the origins it allows, each the string `allowing` holds (clients allowing none are not held). */
  private readonly ofClient = new Map<string, readonly string[]>();
  /** Origin → itself, held once, and how many clients allow it. */
  private readonly allowing = new Map<string, { origin: string; clients: number }>();
  /** Clients changed since their origins were read. */
  private changed = new Set<string>();
  /** Every client is read on next use: at first, after `reset` and `clear`. */
  private fullReadDue = true;
  /** A full read has been made since the last `clear`: its list answers while the database is unreachable. */
  private held = false;
  /** Bumped by `clear`: a read begun before it is thrown away. */
  private generation = 0;
  private reading: Promise<void> | undefined;

  constructor(private readonly reads: Pick<TokenReadModel, 'clientsAllowingOrigins' | 'originsOfClients'>) {}

  /** A client was created, changed or deleted (its uuid, from the change feed). */
  clientChanged(clientUuid: string): void {
    if (!this.held && this.reading === undefined) return;
    if (!isUuid(clientUuid) || this.changed.size >= CHANGED_CLIENTS_MAX) return this.reset();
    // PostgreSQL prints uuids in lowercase: the rows read back are keyed so.
    this.changed.add(clientUuid.toLowerCase());
  }

  /** Notices may have been missed (the change feed reconnected): every client is read again on next use. */
  reset(): void {
    this.fullReadDue = true;
    this.changed.clear();
  }

  /** Drops everything (an unknown change): every client is read on next use, with no list to fall back on. */
  clear(): void {
    this.generation++;
    this.ofClient.clear();
    this.allowing.clear();
    this.changed.clear();
    this.fullReadDue = true;
    this.held = false;
    this.reading = undefined;
  }

  /** True when some client allows `origin` (compared exactly; a stored trailing slash is ignored). */
  async allowedByAnyClient(origin: string): Promise<boolean> {
    if (this.outdated()) {
      // A read begun before this question may miss a change made before it: one more read then.
      if (this.reading !== undefined) await this.reading.catch(() => undefined);
      if (this.outdated()) await (this.reading ?? this.startRead());
    }
    return this.allowing.has(origin);
  }

  private startRead(): Promise<void> {
    const reading: Promise<void> = this.read().finally(() => {
      if (this.reading === reading) this.reading = undefined;
    });
    this.reading = reading;
    return reading;
  }

  private outdated(): boolean {
    return this.fullReadDue || this.changed.size > 0;
  }

  private async read(): Promise<void> {
    const generation = this.generation;
    // What changes while reading stays in `changed` (or sets fullReadDue again): read on next use.
    const changed = this.changed;
    this.changed = new Set();
    if (this.fullReadDue) {
      this.fullReadDue = false;
      let rows: ClientOrigins[];
      try {
        rows = await this.reads.clientsAllowingOrigins();
      } catch (error) {
        if (generation !== this.generation) throw error;
        this.fullReadDue = true;
        // The database is unreachable after a reset: the last list answers until it is back.
        if (this.held) return;
        throw error;
      }
      if (generation !== this.generation) return;
      this.ofClient.clear();
      this.allowing.clear();
      for (const row of rows) this.hold(row.clientUuid, row.origins);
      this.held = true;
      return;
    }
    const ids = [...changed];
    try {
      for (let start = 0; start < ids.length; start += READ_BATCH_MAX) {
        const batch = ids.slice(start, start + READ_BATCH_MAX);
        const rows = await this.reads.originsOfClients(batch);
        if (generation !== this.generation) return;
        const found = new Map(rows.map((row) => [row.clientUuid, row.origins]));
        for (const id of batch) {
          this.release(id);
          this.hold(id, found.get(id) ?? []);
          changed.delete(id);
        }
      }
    } catch (error) {
      if (generation === this.generation) for (const id of changed) this.changed.add(id);
      throw error;
    }
  }

  private hold(clientUuid: string, entries: readonly string[]): void {
    if (entries.length === 0) return;
    const origins: string[] = [];
    for (const origin of new Set(entries.map(originOfEntry))) {
      let held = this.allowing.get(origin);
      if (!held) this.allowing.set(origin, (held = { origin, clients: 0 }));
      held.clients++;
      origins.push(held.origin);
    }
    this.ofClient.set(clientUuid, origins);
  }

  private release(clientUuid: string): void {
    const origins = this.ofClient.get(clientUuid);
    if (!origins) return;
    this.ofClient.delete(clientUuid);
    for (const origin of origins) {
      const held = this.allowing.get(origin)!;
      if (--held.clients === 0) this.allowing.delete(origin);
    }
  }
}
