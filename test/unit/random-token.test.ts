import { randomToken } from '../../src/crypto/random';

describe('randomToken (pooled CSPRNG output)', () => {
  it('never hands out the same bytes twice, across many pool refills and mixed sizes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const bytes = [16, 24, 32, 7][i % 4];
      const token = randomToken(bytes);
      expect(Buffer.from(token, 'base64url')).toHaveLength(bytes);
      seen.add(token);
    }
    expect(seen.size).toBe(20_000);
  });

  it('gives tokens larger than the pool', () => {
    const token = randomToken(5000);
    expect(Buffer.from(token, 'base64url')).toHaveLength(5000);
    expect(token).not.toBe(randomToken(5000));
  });

  it('gives bytes that look random: every byte value, none far from its expected count', () => {
    const counts = new Array(256).fill(0);
    for (let i = 0; i < 4096; i++) for (const byte of Buffer.from(randomToken(64), 'base64url')) counts[byte]++;
    // 262,144 bytes: 1,024 expected per value; a zeroed or repeated pool would break this at once.
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});
