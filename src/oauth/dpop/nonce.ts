import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../lib/clock';

/** Seconds each server nonce is current; the previous one is still accepted, so a nonce lives one to two windows. */
export const DPOP_NONCE_WINDOW_SECONDS = 300;

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9) that need no storage: the nonce of a time window is
 * an HMAC of the window's number under a key every instance derives from the master key, so any
 * instance accepts any instance's nonce. The current and the previous window's nonces are accepted.
 */
export class DpopNonces {
  private window = -1;
  private currentNonce = '';

  constructor(
    private readonly key: Buffer,
    private readonly clock: Clock,
  ) {}

  /** The nonce to hand out now (DPoP-Nonce). */
  current(): string {
    const window = this.windowNow();
    if (window !== this.window) {
      this.currentNonce = this.nonceOf(window);
      this.window = window;
    }
    return this.currentNonce;
  }

  /** 'current', 'previous' (accepted; the client should be given the current one), or undefined (not ours, or too old). */
  check(nonce: unknown): 'current' | 'previous' | undefined {
    if (typeof nonce !== 'string' || nonce.length !== 43) return undefined;
    const presented = Buffer.from(nonce);
    if (equal(presented, this.current())) return 'current';
    return equal(presented, this.nonceOf(this.windowNow() - 1)) ? 'previous' : undefined;
  }

  private windowNow(): number {
    return Math.floor(this.clock.now().getTime() / 1000 / DPOP_NONCE_WINDOW_SECONDS);
  }

  private nonceOf(window: number): string {
    return createHmac('sha256', this.key).update(`dpop-nonce:${window}`).digest('base64url');
  }
}

function equal(presented: Buffer, expected: string): boolean {
  const other = Buffer.from(expected);
  return presented.length === other.length && timingSafeEqual(presented, other);
}
