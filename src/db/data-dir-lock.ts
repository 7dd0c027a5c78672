import fs from 'node:fs';
import path from 'node:path';

/** The lock file of an embedded database directory: the pid of the process using it. */
const LOCK_FILE = 'apiauth.lock';

/** Thrown when another live process uses the directory. */
export class DataDirInUseError extends Error {}

/**
 * Whether `pid` is a live Node.js process. After an unclean stop (a container restarted, a machine
 * rebooted) the recorded pid may now belong to an unrelated process: on Linux its command line
 * tells them apart, so a stale lock never keeps the service from starting.
 */
function aliveNode(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // No /proc (not Linux) or not readable: assume it is.
  }
}

/**
 * Takes the embedded database directory for this process. The embedded PGlite is a database inside
 * one process: two processes opening the same files (a second service, or `apiauth admin` while the
 * service runs) would corrupt them. A lock left by a process that is gone is taken over. Returns the release.
 */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && aliveNode(holder)) {
        throw new DataDirInUseError(
          `the embedded database in ${dir} is in use by process ${holder} (a running apiauth?): stop it first ` +
            `(if none runs, delete ${file})`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new DataDirInUseError(`the embedded database in ${dir} could not be locked`);
}
