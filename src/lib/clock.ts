/**
 * The time, injectable: every time decision of the service (token lifetimes, codes, sessions,
 * throttling, validation, key ring) reads a Clock, so tests move time instead of sleeping.
 * Production uses the system clock. A leaf module: every layer may import it.
 */
export interface Clock {
  now(): Date;
}

/** Reads Date.now(), so a test that stubs it (jest.spyOn(Date, 'now')) moves this clock too. */
export const systemClock: Clock = { now: () => new Date(Date.now()) };
