import fs from 'node:fs';

/** Removes what global-setup.ts prepared. */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.APIAUTH_TEST_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
