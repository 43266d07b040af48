import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { WorkerOptions } from '../interfaces/worker-options.interface';
import { InvalidWorkerOptionError } from '../task.errors';
import { DEFAULT_QUEUE } from '../tasks.constants';

export interface ResolvedWorkerOptions {
  queues: readonly string[] | null;
  concurrency: number;
  pollInterval: number;
  batch: boolean;
  maxTasks: number | null;
  workerId: string;
  shutdownTimeout: number;
  leaseDuration: number;
  pruneAfter: number | null;
  scheduler: boolean;
  heartbeatInterval: number;
}

export const WORKER_DEFAULTS = {
  concurrency: 10,
  pollInterval: 1000,
  shutdownTimeout: 30_000,
  leaseDuration: 30_000,
  heartbeatInterval: 10_000,
} as const;

/** The same names as the command-line flags, so one message serves both. */
const FLAG_NAMES: Record<keyof WorkerOptions, string> = {
  queues: '--queue',
  concurrency: '--concurrency',
  pollInterval: '--interval',
  batch: '--batch',
  maxTasks: '--max-tasks',
  workerId: '--worker-id',
  shutdownTimeout: '--shutdown-timeout',
  leaseDuration: '--lease-duration',
  pruneAfter: '--prune-after',
  scheduler: '--no-scheduler',
  heartbeatInterval: '--heartbeat-interval',
};

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function resolveWorkerOptions(options: WorkerOptions = {}): ResolvedWorkerOptions {
  const queues = options.queues ?? [DEFAULT_QUEUE];
  if (queues !== '*' && (!Array.isArray(queues) || queues.length === 0 || queues.some((queue) => typeof queue !== 'string' || queue === ''))) {
    throw invalid('queues', `a comma-separated list of queue names or '*', got ${JSON.stringify(queues)}`);
  }
  const workerId = options.workerId ?? defaultWorkerId();
  if (typeof workerId !== 'string' || workerId === '' || workerId.length > 255) {
    throw invalid('workerId', 'a non-empty string of at most 255 characters');
  }
  return {
    queues: queues === '*' || queues.includes('*') ? null : [...new Set(queues)],
    concurrency: integer('concurrency', options.concurrency ?? WORKER_DEFAULTS.concurrency, 1, 1000),
    pollInterval: integer('pollInterval', options.pollInterval ?? WORKER_DEFAULTS.pollInterval, 1, 3_600_000),
    batch: options.batch ?? false,
    maxTasks: options.maxTasks === undefined ? null : integer('maxTasks', options.maxTasks, 1, Number.MAX_SAFE_INTEGER),
    workerId,
    shutdownTimeout: integer('shutdownTimeout', options.shutdownTimeout ?? WORKER_DEFAULTS.shutdownTimeout, 0, 86_400_000),
    leaseDuration: integer('leaseDuration', options.leaseDuration ?? WORKER_DEFAULTS.leaseDuration, 300, 86_400_000),
    pruneAfter: options.pruneAfter === undefined ? null : integer('pruneAfter', options.pruneAfter, 1_000, Number.MAX_SAFE_INTEGER),
    scheduler: boolean('scheduler', options.scheduler ?? true),
    heartbeatInterval: integer('heartbeatInterval', options.heartbeatInterval ?? WORKER_DEFAULTS.heartbeatInterval, 100, 3_600_000),
  };
}

function integer(option: keyof WorkerOptions, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(option, `an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function boolean(option: keyof WorkerOptions, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(option, `true or false, got ${JSON.stringify(value)}`);
  return value;
}

function invalid(option: keyof WorkerOptions, expected: string): InvalidWorkerOptionError {
  return new InvalidWorkerOptionError(option, `Worker option ${option} (${FLAG_NAMES[option]}) must be ${expected}.`);
}
