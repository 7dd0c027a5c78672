import { WorkLimiter, WorkLimiterFull } from '../../src/lib/work-limiter';

/** A piece of work the test finishes when it wants, and whether it has started. */
function gate<T>(value: T) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const piece = {
    started: false,
    open: () => open(),
    work: async () => {
      piece.started = true;
      await opened;
      return value;
    },
  };
  return piece;
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('WorkLimiter (a semaphore with a bounded queue)', () => {
  it('runs up to `concurrency` at once, queues up to `queue` in arrival order, refuses the rest at once without running them', async () => {
    const limiter = new WorkLimiter({ concurrency: 2, queue: 2 });
    const pieces = [0, 1, 2, 3, 4].map((i) => gate(i));
    const results = pieces.map((p) =>
      limiter.run(p.work).then(
        (value): { value?: number; error?: unknown } => ({ value }),
        (error: unknown) => ({ error }),
      ),
    );
    await settle();
    expect(pieces.map((p) => p.started)).toEqual([true, true, false, false, false]);
    expect([limiter.active, limiter.queued]).toEqual([2, 2]);
    expect((await results[4]).error).toBeInstanceOf(WorkLimiterFull);

    // A finished piece hands its slot to the first in line.
    pieces[1].open();
    expect(await results[1]).toEqual({ value: 1 });
    await settle();
    expect(pieces.map((p) => p.started)).toEqual([true, true, true, false, false]);
    expect([limiter.active, limiter.queued]).toEqual([2, 1]);

    for (const p of pieces) p.open();
    expect(await Promise.all(results.slice(0, 4))).toEqual([{ value: 0 }, { value: 1 }, { value: 2 }, { value: 3 }]);
    expect(pieces[4].started).toBe(false);
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
  });

  it('frees the slot when the work fails, and passes the failure on', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, queue: 0 });
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.active).toBe(0);
    expect(await limiter.run(async () => 'next')).toBe('next');
  });

  it('with no queue, refuses whatever comes while every slot is busy', async () => {
    const limiter = new WorkLimiter({ concurrency: 1, queue: 0 });
    const held = gate('held');
    const running = limiter.run(held.work);
    await expect(limiter.run(async () => 'refused')).rejects.toBeInstanceOf(WorkLimiterFull);
    held.open();
    expect(await running).toBe('held');
    expect(await limiter.run(async () => 'free again')).toBe('free again');
  });

  it('refuses impossible limits', () => {
    expect(() => new WorkLimiter({ concurrency: 0, queue: 1 })).toThrow();
    expect(() => new WorkLimiter({ concurrency: 1, queue: -1 })).toThrow();
  });
});
