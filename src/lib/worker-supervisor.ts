import cluster, { type Worker } from 'node:cluster';

/** What a worker receives when the primary shuts down: begin a graceful shutdown (as on SIGTERM). */
export const SHUTDOWN_MESSAGE = 'apiauth:shutdown';

export function isShutdownMessage(message: unknown): message is { type: typeof SHUTDOWN_MESSAGE; signal: string } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === SHUTDOWN_MESSAGE;
}

interface SupervisorLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface WorkerSupervisorOptions {
  /** How many workers serve. */
  count: number;
  log: SupervisorLog;
  /** Workers in a row that exit before listening, while none serves, before the supervisor gives up (`onGiveUp`). */
  maxStartFailures?: number;
  /** Delay before a replacement: `initialMs`, doubled for each other exit in the last minute, at most `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /** A worker exited without being asked to (it is replaced unless the supervisor gives up). */
  onUnexpectedExit?: () => void;
  /** Workers keep failing to start (a bad DATABASE_URL…): nothing more is forked. */
  onGiveUp?: () => void;
}

const CRASH_WINDOW_MS = 60_000;

/**
 * Runs `count` cluster workers (node:cluster, sharing the listening port) from the primary. The
 * first starts alone, and the others are forked once it listens: it runs the migrations, the
 * management bootstrap and the first keys without racing anyone, and prints the first start's
 * credentials once. A worker that exits unasked is logged and replaced after a backoff, so a crash
 * loop does not spin; `maxStartFailures` workers in a row that never listened, while none serves,
 * make it give up (a bad DATABASE_URL would otherwise loop forever).
 */
export class WorkerSupervisor {
  /** Resolves once every worker listened for the first time. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly live = new Set<Worker>();
  private readonly listening = new Set<Worker>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly recentExits: number[] = [];
  private startFailures = 0;
  private othersForked = false;
  private everyoneListened = false;
  private stopping: { cleanly: boolean; done: () => void } | undefined;
  private readonly maxStartFailures: number;
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(private readonly options: WorkerSupervisorOptions) {
    this.maxStartFailures = options.maxStartFailures ?? 3;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  start(): void {
    cluster.on('listening', (worker) => this.listened(worker));
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
    this.fork();
  }

  /** The workers serving now. */
  serving(): Worker[] {
    return [...this.listening];
  }

  /**
   * Asks every worker to shut down gracefully (`SHUTDOWN_MESSAGE`) and forks no more. Resolves
   * when all have exited: true when every one exited with 0.
   */
  stop(signal: string): Promise<boolean> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return new Promise((resolve) => {
      const state = { cleanly: true, done: () => resolve(state.cleanly) };
      this.stopping = state;
      if (this.live.size === 0) return state.done();
      for (const worker of this.live) worker.send({ type: SHUTDOWN_MESSAGE, signal }, undefined, () => undefined);
    });
  }

  /** Ends every worker at once (SIGKILL): the second signal, or a shutdown past its timeout. */
  kill(): void {
    for (const worker of this.live) worker.process.kill('SIGKILL');
  }

  private fork(): void {
    const worker = cluster.fork();
    this.live.add(worker);
    this.options.log.info({ workerId: worker.id, workerPid: worker.process.pid }, 'worker starting');
  }

  private listened(worker: Worker): void {
    if (!this.live.has(worker) || this.listening.has(worker)) return;
    this.listening.add(worker);
    this.startFailures = 0;
    this.options.log.info({ workerId: worker.id, workerPid: worker.process.pid }, 'worker serving');
    if (!this.othersForked && !this.stopping) {
      this.othersForked = true;
      for (let i = this.live.size + this.timers.size; i < this.options.count; i++) this.fork();
    }
    if (!this.everyoneListened && this.listening.size === this.options.count) {
      this.everyoneListened = true;
      this.markReady();
    }
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    if (!this.live.delete(worker)) return;
    const listened = this.listening.delete(worker);
    const details = { workerId: worker.id, workerPid: worker.process.pid, code, signal };
    if (this.stopping) {
      if (code === 0) this.options.log.info(details, 'worker exited');
      else {
        this.stopping.cleanly = false;
        this.options.log.error(details, 'worker exited');
      }
      if (this.live.size === 0) this.stopping.done();
      return;
    }
    this.options.onUnexpectedExit?.();
    // Giving up ends the service: only when nothing serves. While workers serve (a replacement cannot
    // start while the database is down), retrying with the backoff keeps the service up.
    if (!listened && ++this.startFailures >= this.maxStartFailures && this.listening.size === 0) {
      this.options.log.error({ ...details, failures: this.startFailures }, 'workers keep failing to start: giving up');
      this.options.onGiveUp?.();
      return;
    }
    const now = Date.now();
    while (this.recentExits.length > 0 && now - this.recentExits[0] > CRASH_WINDOW_MS) this.recentExits.shift();
    this.recentExits.push(now);
    const delayMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (this.recentExits.length - 1));
    this.options.log.error(
      { ...details, restartInMs: delayMs },
      listened ? 'worker exited unexpectedly: replacing it' : 'worker failed to start: retrying',
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) this.fork();
    }, delayMs);
    this.timers.add(timer);
  }
}
