import { once } from 'node:events';
import type { TestDatabase } from '../support/test-database';
import { spawnWorker } from '../support/worker-process';

export interface CommandRun {
  code: number | string;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (the command ran with --json). */
  json<T = unknown>(): T;
}

/** Runs the worker entry (test/fixtures/worker-app.ts) with `args` and collects everything it wrote. */
export async function runCommand(db: TestDatabase, args: string[]): Promise<CommandRun> {
  const process = spawnWorker(db, args);
  // 'close', not 'exit': the output streams are drained by then.
  const [code, signal] = (await once(process.child, 'close')) as [number | null, string | null];
  const stdout = process.stdout();
  return {
    code: code ?? signal ?? -1,
    stdout,
    stderr: process.stderr(),
    json: <T>() => {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`Not JSON on stdout: ${stdout}\nstderr: ${process.stderr()}`);
      }
    },
  };
}
