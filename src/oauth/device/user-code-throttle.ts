import type { ThrottleKey } from '../../domain/sign-in/login-throttle.service';
import { addressKey } from '../../lib/client-address';

/**
 * Guessing user codes, counted by the sign-in throttle (LoginThrottleService: a window, then a
 * growing delay): every code entered counts against its client address and against the whole code
 * space, before it is looked up; a code that names a pending request is given back. 20^8 codes
 * with at most a few thousand pending: the defaults (config.deviceUserCodeAttempts), 1000 wrong
 * codes per window from everywhere, leave a guess about one chance in ten thousand, and one
 * address gets ten.
 */
export function userCodeAttemptKeys(ip: string, limits: { perAddress: number; global: number }): ThrottleKey[] {
  return [
    { key: `user-code-ip:${addressKey(ip)}`.slice(0, 400), limit: limits.perAddress },
    { key: 'user-code:*', limit: limits.global },
  ];
}
