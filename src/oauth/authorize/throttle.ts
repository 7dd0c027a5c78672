import type { ThrottleKey } from '../../domain/sign-in/login-throttle.service';
import { normalizeEmail } from '../../domain/user/user.rules';
import { addressKey } from '../../lib/client-address';

/**
 * The sign-in throttling policy (counted by LoginThrottleService): every attempt counts against its
 * account at its client address (`account-ip:<address>|<lower-case email>`) and against the address
 * alone (`ip:<address>`, whatever the accounts), each with its own limit, past which each further
 * attempt waits a growing delay. There is no lock of the account itself: someone guessing a password
 * from other addresses never keeps its owner out. While a key of an attempt is delayed, the attempt
 * is refused before the password is checked, with the same answer whether or not the account exists.
 */
export const ACCOUNT_AT_IP_FAILURE_LIMIT = 5;
export const IP_FAILURE_LIMIT = 20;

/** Addresses count as lib/client-address.ts says (an IPv6 address as its /64). */
export const ipKey = (ip: string) => `ip:${addressKey(ip)}`.slice(0, 400);
/** The address comes first: it never contains `|`, so the key names one pair. */
export const accountAtIpKey = (email: string, ip: string) => `account-ip:${addressKey(ip)}|${normalizeEmail(email)}`.slice(0, 400);

/** The keys an attempt counts against: the address, and the account at the address when an email was given. */
export function attemptKeys(email: string, ip: string): { ip: ThrottleKey; account: ThrottleKey | undefined } {
  return {
    ip: { key: ipKey(ip), limit: IP_FAILURE_LIMIT },
    account: email === '' ? undefined : { key: accountAtIpKey(email, ip), limit: ACCOUNT_AT_IP_FAILURE_LIMIT },
  };
}
