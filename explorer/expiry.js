// How the explorer shows when its token expires: the date and time, and how far off that is.

const UNITS = [
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "in 24 hours", "in 5 minutes": the largest unit that fits twice or more (so 86400 s is 24 hours, not 1 day). */
export function relativeTime(seconds) {
  const [unit, size] = UNITS.find(([, s]) => Math.abs(seconds) >= 2 * s) ?? ['second', 1];
  return new Intl.RelativeTimeFormat(undefined, { numeric: 'always' }).format(Math.round(seconds / size), unit);
}

/** "30 Nov 2026, 11:05 (in 24 hours)", in the browser's locale and time zone. */
export function describeExpiry(expiresAt, now = new Date()) {
  const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(expiresAt);
  return `${date} (${relativeTime((expiresAt.getTime() - now.getTime()) / 1000)})`;
}
