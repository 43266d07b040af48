import { INestApplicationContext, Logger, LoggerService, LogLevel, Type, DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { WorkerOptions } from '../interfaces/worker-options.interface';
import { InvalidWorkerOptionError } from '../task.errors';
import { TaskWorker, WorkerSummary } from './task.worker';
import { parseWorkerFlags } from './worker-flags';
import { resolveWorkerOptions } from './worker-options';

export interface RunWorkerOptions extends WorkerOptions {
  /** Nest logger for the worker's application context. */
  logger?: LoggerService | LogLevel[] | false;
  /** Command-line arguments to read flags from; default `process.argv.slice(2)`. */
  argv?: string[];
  /** Exit the process when the worker stops (default true). */
  exit?: boolean;
}

/**
 * Starts `module` as a Nest standalone application and runs its `TaskWorker` until the batch is
 * drained, `maxTasks` are done or a signal arrives: the first SIGTERM/SIGINT stops claiming and
 * lets running tasks finish (up to `shutdownTimeout`), a second exits at once. Exit code 0 after
 * a clean stop, 2 for a bad flag, 1 if the application cannot start.
 */
export async function runWorker(module: Type<unknown> | DynamicModule, options: RunWorkerOptions = {}): Promise<WorkerSummary | undefined> {
  const { logger, argv = process.argv.slice(2), exit = true, ...workerOptions } = options;
  const log = new Logger('TaskWorker');
  let merged: WorkerOptions;
  try {
    merged = { ...workerOptions, ...parseWorkerFlags(argv) };
    resolveWorkerOptions(merged);
  } catch (error) {
    if (!(error instanceof InvalidWorkerOptionError)) throw error;
    process.stderr.write(`${error.message}\n`);
    if (exit) process.exit(2);
    throw error;
  }

  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(module, logger === undefined ? {} : { logger });
  } catch (error) {
    log.error(`The worker's application could not start: ${(error as Error).stack ?? error}`);
    if (exit) process.exit(1);
    throw error;
  }
  const worker = app.get(TaskWorker);
  let signals = 0;
  // Nest's own shutdown hooks re-raise the signal after closing (exit code 143); the worker
  // closes the application itself and exits 0, running the same hooks through app.close().
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log.log(`${signal} received: no new tasks; running ones get up to their shutdown timeout.`);
      void worker.stop();
    } else {
      log.warn(`${signal} received again: exiting now; unfinished tasks are rescued when their leases expire.`);
      process.exit(0);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let summary: WorkerSummary | undefined;
  let code = 0;
  try {
    summary = await worker.run(merged);
  } catch (error) {
    log.error(`The worker failed: ${(error as Error).stack ?? error}`);
    code = 1;
  } finally {
    await app.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  if (exit) process.exit(code);
  return summary;
}
