import type { ThrottleKey } from '../../domain/sign-in/login-throttle.service';
import { addressKey } from '../../lib/client-address';

/**
 * Guessing user codes, counted by the sign-in throttle (LoginThrottleService: a window, then a
 * growing delay): every code entered counts against its client address and against the whole code
 * space, before it is looked up; a code that names a pending request is given back. 20^8 codes
 * with at most a few thousand pending: 1000 wrong codes per window from everywhere leave a guess
 * about one chance in ten thousand, and one address gets ten.
 */
export const USER_CODE_IP_LIMIT = 10;
export const USER_CODE_GLOBAL_LIMIT = 1000;

export function userCodeAttemptKeys(ip: string): ThrottleKey[] {
  return [
    { key: `user-code-ip:${addressKey(ip)}`.slice(0, 400), limit: USER_CODE_IP_LIMIT },
    { key: 'user-code:*', limit: USER_CODE_GLOBAL_LIMIT },
  ];
}
