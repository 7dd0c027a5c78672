/** Refused by a WorkLimiter: every slot is busy and the queue is full. Nothing of the work ran. */
export class WorkLimiterFull extends Error {
  constructor() {
    super('too much work in progress: try again shortly');
    this.name = 'WorkLimiterFull';
  }
}

export interface WorkLimits {
  /** How many pieces of work run at once (at least 1). */
  concurrency: number;
  /** How many more may wait for a slot (0: none wait); beyond, `run` refuses at once. */
  queue: number;
}

/**
 * A semaphore with a bounded queue, for expensive work (password hashing) that must not run
 * without bound: at most `concurrency` pieces run at once, at most `queue` more wait in arrival
 * order, and any further piece is refused at once with WorkLimiterFull instead of piling up.
 */
export class WorkLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limits: WorkLimits) {
    if (!(limits.concurrency >= 1 && limits.queue >= 0)) throw new Error('WorkLimiter: concurrency ≥ 1 and queue ≥ 0');
  }

  /** Pieces of work running now. */
  get active(): number {
    return this.running;
  }

  /** Pieces of work waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `work` in a slot (after waiting for one if need be); rejects with WorkLimiterFull when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.limits.concurrency) this.running++;
    else if (this.waiting.length < this.limits.queue) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else throw new WorkLimiterFull();
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line (running stays the same), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
