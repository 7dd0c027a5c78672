import { spawn, ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The built service and CLI (`npm test`'s pretest builds them). */
export const MAIN = path.resolve(__dirname, '../../dist/src/main.js');
export const CLI = path.resolve(__dirname, '../../bin/apiauth.js');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ServiceProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has exited and its output is read to the end. */
  closed: Promise<number | null>;
}

/** Spawns `node <script> ...args` with exactly `env` (plus PATH), its output collected. */
export function spawnNode(script: string, args: string[], env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, closed };
}

/** Waits until `url`/readyz answers 200; throws with the process's output if it exits or takes over `timeoutMs` (30 s). */
export async function waitUntilReady(service: ServiceProcess, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null)
      throw new Error(`the service exited at start (${service.child.exitCode}): ${service.stderr()}${service.stdout()}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`the service did not become ready: ${service.stderr()}${service.stdout()}`);
    await sleep(100);
  }
}

/**
 * Waits until the service is ready and has printed its start banner (the management credentials,
 * or the one-line "what next"): a single process prints it just after it listens, so /readyz can
 * answer 200 a moment before.
 */
export async function waitUntilStarted(service: ServiceProcess, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await waitUntilReady(service, url, timeoutMs);
  while (!/^(apiauth: |client_secret: )/m.test(service.stdout())) {
    if (service.child.exitCode !== null)
      throw new Error(`the service exited (${service.child.exitCode}): ${service.stderr()}${service.stdout()}`);
    if (Date.now() > deadline) throw new Error(`the service printed no start banner: ${service.stderr()}${service.stdout()}`);
    await sleep(50);
  }
}
