import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const MASTER_KEY_FILE = 'master.key';

/** Decodes MASTER_KEY (base64 of exactly 32 bytes); null when the text is not that. */
export function parseMasterKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  return key.length === 32 ? key : null;
}

/**
 * The key that encrypts secrets at rest. MASTER_KEY when set; otherwise (never in production on
 * an external database) a key generated once into DATA_DIR/master.key, readable by the owner only.
 */
export function resolveMasterKey(options: { masterKey: Buffer | undefined; dataDir: string; warn: (message: string) => void }): Buffer {
  if (options.masterKey) return options.masterKey;
  const file = path.join(options.dataDir, MASTER_KEY_FILE);
  if (fs.existsSync(file)) {
    const key = parseMasterKey(fs.readFileSync(file, 'utf8'));
    if (!key) throw new Error(`${file} does not hold a base64 32-byte key`);
    return key;
  }
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  options.warn(
    `MASTER_KEY is not set: generated one into ${file} (mode 0600). Back it up: without it the signing keys and secrets cannot be decrypted. Set MASTER_KEY in production.`,
  );
  return key;
}
