import { INestApplicationContext, Logger, LoggerService, LogLevel, Type, DynamicModule } from '@nestjs/common';
import { resolveQueues } from '../limits/queue-limits';
import { NestFactory } from '@nestjs/core';
import type { WorkerOptions } from '../interfaces/worker-options.interface';
import type { TasksModuleOptions } from '../interfaces/tasks-module-options.interface';
import { InvalidWorkerOptionError } from '../task.errors';
import { TASKS_MODULE_OPTIONS } from '../tasks.constants';
import { packageVersion } from '../package-version';
import { TaskWorker, WorkerSummary } from './task.worker';
import { parseWorkerCommand, WORKER_USAGE } from './worker-flags';
import { resolveWorkerOptions } from './worker-options';

/**
 * The command line's subcommands (and commander, the progress bar and every command with them)
 * load only when the command line may name one or asks for help: a worker that runs tasks keeps
 * them out of its memory.
 */
function cliCommands(): typeof import('../cli/cli-commands') {
  return require('../cli/cli-commands') as typeof import('../cli/cli-commands');
}

/** A subcommand's name is a plain word: no command line of flags only, or none, loads the CLI. */
function mayNameCommand(argv: readonly string[]): boolean {
  const first = argv[0];
  return first !== undefined && first !== 'run' && !first.startsWith('-');
}

export interface RunWorkerOptions extends WorkerOptions {
  /** Nest logger for the worker's application context. */
  logger?: LoggerService | LogLevel[] | false;
  /** Command-line arguments to read flags from; default `process.argv.slice(2)`. */
  argv?: string[];
  /** Exit the process when the worker stops (default true); a command of the command line then sets `process.exitCode` instead. */
  exit?: boolean;
}

/**
 * With a command first on the command line (`status`, `list`, `show`, `retry`, `cancel`, `prune`,
 * `schedules`, `workers`: see src/cli), runs it in `module`'s application and exits. Otherwise
 * (or after `run`) starts `module` as a Nest standalone application and runs its `TaskWorker` until the batch is
 * drained, `maxTasks` are done or a signal arrives: the first SIGTERM/SIGINT stops claiming and
 * lets running tasks finish (up to `shutdownTimeout`), a second exits at once. Exit code 0 after
 * a clean stop (and after `--help` or `--version`, which start nothing), 2 for a bad flag, 1 if
 * the application cannot start. Without `queues` from a flag or an option, the worker serves
 * every queue `TasksModule` declares, or all queues when it declares none.
 */
export async function runWorker(module: Type<unknown> | DynamicModule, options: RunWorkerOptions = {}): Promise<WorkerSummary | undefined> {
  const { logger, argv: given = process.argv.slice(2), exit = true, ...workerOptions } = options;
  if (mayNameCommand(given) && cliCommands().cliCommandName(given)) {
    // A command of the command line (status, list, retry, …): it runs and exits, no worker starts.
    const { runCli } = require('../cli/run-cli') as typeof import('../cli/run-cli');
    const code = await runCli(module, given);
    if (exit) process.exit(code);
    process.exitCode = code;
    return undefined;
  }
  const argv = given[0] === 'run' ? given.slice(1) : given;
  const log = new Logger('TaskWorker');
  let merged: WorkerOptions;
  try {
    const command = parseWorkerCommand(argv);
    if (command.kind !== 'run') {
      process.stdout.write(command.kind === 'help' ? `${WORKER_USAGE}\n\n${cliCommands().commandsHelp()}\n` : `${packageVersion()}\n`);
      if (exit) process.exit(0);
      return undefined;
    }
    merged = { ...workerOptions, ...command.options };
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
  if (merged.queues === undefined) merged = { ...merged, queues: declaredQueues(app) };
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

/**
 * A worker started without `queues` serves what the application declared: a task sent to a
 * declared queue that no worker serves would sit READY without a word.
 */
function declaredQueues(app: INestApplicationContext): string[] | '*' {
  const options = app.get<TasksModuleOptions>(TASKS_MODULE_OPTIONS, { strict: false });
  return options.worker?.queues ?? resolveQueues(options.queues).names?.slice() ?? '*';
}
