/** Polls `check` until it returns true or `ms` passes; returns the time it took (ms). */
export async function within(ms: number, check: () => Promise<boolean>, intervalMs = 25): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`not within ${ms} ms`);
}
