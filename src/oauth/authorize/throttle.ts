import { normalizeEmail } from '../../domain/user/user.rules';

/**
 * The sign-in throttling policy (counted by LoginThrottleService): every failed attempt counts
 * against its account (`account:<lower-case email>`) and its client address (`ip:<address>`),
 * each with its own limit. While either key of an attempt is locked, the attempt is refused before
 * the password is checked, with the same answer whether or not the account exists.
 */
export const ACCOUNT_FAILURE_LIMIT = 5;
export const IP_FAILURE_LIMIT = 20;

export const accountKey = (email: string) => `account:${normalizeEmail(email)}`.slice(0, 400);
export const ipKey = (ip: string) => `ip:${ip}`.slice(0, 400);
