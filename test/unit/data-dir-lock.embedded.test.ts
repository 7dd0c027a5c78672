import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirInUseError, lockDataDir } from '../../src/db/data-dir-lock';

describe('embedded DATA_DIR lock', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apiauth-lock-'));
  const lockFile = path.join(dir, 'apiauth.lock');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is refused while another live Node.js process holds it, and free once released', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      fs.writeFileSync(lockFile, `${holder.pid}\n`);
      expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
      expect(() => lockDataDir(dir)).toThrow(`is in use by process ${holder.pid}`);
    } finally {
      holder.kill();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    const release = lockDataDir(dir);
    expect(fs.readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it('takes over a lock whose pid now belongs to a process that is not Node.js (a stale lock after a restart)', async () => {
    const other = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(lockFile, `${other.pid}\n`);
      const release = lockDataDir(dir);
      expect(fs.readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
      release();
    } finally {
      other.kill();
    }
  });

  it('takes over a lock left by a process that is gone', () => {
    fs.writeFileSync(lockFile, '999999999\n');
    const release = lockDataDir(dir);
    expect(fs.readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
    release();
  });
});
