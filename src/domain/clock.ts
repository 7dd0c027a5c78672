/**
 * The time, injectable: refresh-token lifetimes are tested by moving a clock, not by sleeping.
 * Production uses the system clock.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
