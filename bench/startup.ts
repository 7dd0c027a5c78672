/**
 * Start-up (npm run bench:startup): how long the service takes, on its embedded database, from
 * `node dist/src/main.js` to the first 200 from /readyz: a first start (an empty DATA_DIR: the
 * database is created and migrated, keys and the management client are made) and a restart (the
 * same DATA_DIR). Started as in production (NODE_ENV=production, the compiled main.js). Prints one
 * JSON line: the median, min and max of each over STARTUP_ROUNDS rounds (default 5), and the
 * process's own `startupMs` (from its "apiauth ready" line: the part after Node has loaded).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from './bench-server';

const ROUNDS = Number(process.env.STARTUP_ROUNDS ?? 5);
const MAIN = path.resolve(__dirname, '../src/main.js');

interface Start {
  /** Spawn to the first 200 from /readyz, ms. */
  readyMs: number;
  /** The process's own figure: main() entered to listening. */
  startupMs: number;
}

/** Starts the service on `dataDir`, waits for /readyz, stops it (SIGTERM) and waits for its exit. */
async function startOnce(dataDir: string): Promise<Start> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, NODE_ENV: 'production', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let readyMs: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null) throw new Error(`the service exited during start:\n${output}`);
    if (performance.now() - began > 60_000) throw new Error(`no /readyz 200 within 60 s:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (response.status === 200) readyMs = performance.now() - began;
      else await response.arrayBuffer();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`the service exited with ${code} on SIGTERM:\n${output}`);
  const startupMs = Number(/"startupMs":(\d+)/.exec(output)?.[1] ?? NaN);
  return { readyMs, startupMs };
}

function summary(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: Math.round(sorted[Math.floor(sorted.length / 2)]),
    min: Math.round(sorted[0]),
    max: Math.round(sorted[sorted.length - 1]),
  };
}

async function main(): Promise<void> {
  const first: Start[] = [];
  const restart: Start[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'apiauth-startup-'));
    try {
      first.push(await startOnce(dataDir));
      restart.push(await startOnce(dataDir));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  console.log(
    JSON.stringify({
      rounds: ROUNDS,
      firstStartReadyMs: summary(first.map((s) => s.readyMs)),
      firstStartProcessMs: summary(first.map((s) => s.startupMs)),
      restartReadyMs: summary(restart.map((s) => s.readyMs)),
      restartProcessMs: summary(restart.map((s) => s.startupMs)),
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
