import { parseArgs } from 'node:util';
import type { WorkerOptions } from '../interfaces/worker-options.interface';
import { InvalidWorkerOptionError } from '../task.errors';

export const WORKER_USAGE = `Usage: node dist/worker.js [run] [options]
       node dist/worker.js <command> [--json] [options]

Runs a worker of the application until SIGTERM/SIGINT (or --batch / --max-tasks), or one of the
commands below (\`node dist/worker.js <command> --help\` for its options).

Options:
  --queue a,b             queues to take tasks from ('*' for all; default: the queues
                          TasksModule declares, or all when it declares none)
  --concurrency N         tasks run at once (default 10)
  --interval MS           poll interval when idle (default 1000)
  --batch                 run what is due, then exit
  --max-tasks N           exit after N tasks
  --worker-id ID          default host:pid:random
  --lease-duration MS     default 30000
  --shutdown-timeout MS   time running tasks get after SIGTERM (default 30000)
  --prune-after MS        delete results finished more than MS ago (default: keep)
  --heartbeat-interval MS time between heartbeats in the worker registry (default 10000)
  --no-scheduler          do not enqueue the ticks of periodic tasks in this process
  --help                  print this and exit
  --version               print the version of nestjs-tasks and exit`;

/** What the command line asks for: run a worker, or only print something and exit 0. */
export type WorkerCommand = { kind: 'run'; options: WorkerOptions } | { kind: 'help' } | { kind: 'version' };

/** `--help` and `--version` win over every other flag, even a bad one; otherwise the worker's options. */
export function parseWorkerCommand(argv: string[]): WorkerCommand {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
  });
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  return { kind: 'run', options: parseWorkerFlags(argv) };
}

/** Worker options from command-line flags; throws `InvalidWorkerOptionError` naming the bad flag. */
export function parseWorkerFlags(argv: string[]): WorkerOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        interval: { type: 'string' },
        batch: { type: 'boolean' },
        'max-tasks': { type: 'string' },
        'worker-id': { type: 'string' },
        'lease-duration': { type: 'string' },
        'shutdown-timeout': { type: 'string' },
        'prune-after': { type: 'string' },
        'heartbeat-interval': { type: 'string' },
        'no-scheduler': { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new InvalidWorkerOptionError('argv', `${(error as Error).message}\n${WORKER_USAGE}`);
  }
  const options: WorkerOptions = {};
  if (values.queue !== undefined) {
    const queue = String(values.queue).trim();
    options.queues = queue === '*' ? '*' : queue.split(',').map((name) => name.trim());
    if (options.queues !== '*' && options.queues.some((name) => name === '')) {
      throw new InvalidWorkerOptionError('queues', `--queue must be a comma-separated list of queue names or '*', got "${values.queue}".`);
    }
  }
  const numbers: [string, keyof WorkerOptions][] = [
    ['concurrency', 'concurrency'],
    ['interval', 'pollInterval'],
    ['max-tasks', 'maxTasks'],
    ['lease-duration', 'leaseDuration'],
    ['shutdown-timeout', 'shutdownTimeout'],
    ['prune-after', 'pruneAfter'],
    ['heartbeat-interval', 'heartbeatInterval'],
  ];
  for (const [flag, option] of numbers) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (!/^\d+$/.test(String(raw))) {
      throw new InvalidWorkerOptionError(option, `--${flag} must be a whole number, got "${raw}".`);
    }
    (options as Record<string, unknown>)[option] = Number(raw);
  }
  if (values.batch) options.batch = true;
  if (values['no-scheduler']) options.scheduler = false;
  if (values['worker-id'] !== undefined) options.workerId = String(values['worker-id']);
  return options;
}
