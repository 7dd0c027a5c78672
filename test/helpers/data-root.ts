import fs from 'node:fs';
import os from 'node:os';

/**
 * Where tests put the service's data directories: memory-backed /dev/shm when the machine has it
 * (an embedded database writes and syncs many files; on a disk shared by parallel test files that
 * wait is most of such a test's time), else the temporary directory.
 */
export const DATA_ROOT = isWritableDirectory('/dev/shm') ? '/dev/shm' : os.tmpdir();

function isWritableDirectory(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
