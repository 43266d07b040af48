import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestDatabase } from './test-database';

const ROOT = join(__dirname, '..', '..');

/**
 * How long a spawned worker may take to start: it transpiles the project's TypeScript as it loads,
 * which takes seconds, and many more on a busy machine.
 */
export const WORKER_START_MS = 60_000;

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** What the process wrote to stdout alone (a command's JSON output). */
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves once the output contains `text`. */
  waitForOutput(text: string | RegExp, timeout?: number): Promise<void>;
}

/** Every process spawned here that may still run: a failed test must not leave workers behind to take the next test's tasks. */
const running = new Set<ChildProcess>();

/** Kills (SIGKILL) whatever spawnWorker started that is still running, and waits for each to exit. */
export async function killWorkers(): Promise<void> {
  await Promise.all([...running].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
  running.clear();
}

/** Spawns a real worker process (test/fixtures/worker-app.ts unless `entry` says otherwise). */
export function spawnWorker(db: TestDatabase, flags: string[], env: Record<string, string> = {}, entry = 'test/fixtures/worker-app.ts'): WorkerProcess {
  const child = spawn(process.execPath, ['-r', join(ROOT, 'test/support/register-ts.js'), join(ROOT, entry), ...flags], {
    cwd: ROOT,
    env: { ...process.env, TASKS_TEST_DB: JSON.stringify(db.describe()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let output = '';
  const streams = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    output += chunk.toString();
    streams[stream] += chunk.toString();
    listeners.forEach((listener) => listener());
  };
  child.stdout!.on('data', collect('stdout'));
  child.stderr!.on('data', collect('stderr'));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    output: () => output,
    stdout: () => streams.stdout,
    stderr: () => streams.stderr,
    exited,
    waitForOutput(text, timeout = WORKER_START_MS) {
      return new Promise((resolve, reject) => {
        const matches = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
        if (matches()) return resolve();
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`Worker output never showed ${text}. Output:\n${output}`));
        }, timeout);
        const check = () => {
          if (!matches()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
      });
    },
  };
}
