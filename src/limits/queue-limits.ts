import { InvalidTaskError } from '../task.errors';

/** At most `limit` tasks of a queue started per `interval` milliseconds, across every worker. */
export interface RateLimit {
  limit: number;
  interval: number;
}

/** The limits of one queue, in `TasksModule.forRoot({ queues: { name: limits } })`; `{}`: none. */
export interface QueueLimits {
  /** At most this many tasks of the queue RUNNING at once, across every worker. */
  globalConcurrency?: number;
  rateLimit?: RateLimit;
}

/** The `queues` option: the valid names, or the valid names with their limits. */
export type QueuesOption = string[] | Record<string, QueueLimits>;

/** The `queues` option, checked: the declared names (none: any), and the queues that have limits. */
export interface ResolvedQueues {
  names?: readonly string[];
  limits: ReadonlyMap<string, QueueLimits>;
}

/** The longest queue name every database keys (MySQL's utf8mb4 index limit). */
export const MAX_QUEUE_NAME_LENGTH = 191;

/**
 * Reads and checks the `queues` option once, at start-up: `InvalidTaskError` naming the queue
 * and the option for a limit that is not a positive integer (0 would park the queue for good:
 * pause it instead).
 */
export function resolveQueues(option: unknown): ResolvedQueues {
  if (option === undefined) return { limits: new Map() };
  if (Array.isArray(option)) {
    option.forEach((name) => checkName(name));
    return { names: [...option], limits: new Map() };
  }
  if (option === null || typeof option !== 'object') {
    throw new InvalidTaskError(`TasksModule option queues must be an array of names or an object of queue limits, got ${JSON.stringify(option)}.`);
  }
  const limits = new Map<string, QueueLimits>();
  for (const [name, value] of Object.entries(option)) {
    checkName(name);
    const queueLimits = checkLimits(name, value);
    if (queueLimits.globalConcurrency !== undefined || queueLimits.rateLimit) limits.set(name, queueLimits);
  }
  return { names: Object.keys(option), limits };
}

function checkName(name: unknown): void {
  if (typeof name !== 'string' || name === '' || name.length > MAX_QUEUE_NAME_LENGTH) {
    throw new InvalidTaskError(`TasksModule option queues: a queue name must be a non-empty string of at most ${MAX_QUEUE_NAME_LENGTH} characters, got ${JSON.stringify(name)}.`);
  }
}

function checkLimits(name: string, value: unknown): QueueLimits {
  const where = `TasksModule option queues.${name}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidTaskError(`${where} must be an object ({ globalConcurrency?, rateLimit? }), got ${JSON.stringify(value)}.`);
  }
  const { globalConcurrency, rateLimit, ...rest } = value as QueueLimits;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new InvalidTaskError(`${where}: unknown option ${unknown.join(', ')} (globalConcurrency and rateLimit are known).`);
  const limits: QueueLimits = {};
  if (globalConcurrency !== undefined) limits.globalConcurrency = positiveInteger(`${where}.globalConcurrency`, globalConcurrency);
  if (rateLimit !== undefined) {
    if (rateLimit === null || typeof rateLimit !== 'object') {
      throw new InvalidTaskError(`${where}.rateLimit must be { limit, interval }, got ${JSON.stringify(rateLimit)}.`);
    }
    limits.rateLimit = {
      limit: positiveInteger(`${where}.rateLimit.limit`, rateLimit.limit),
      interval: positiveInteger(`${where}.rateLimit.interval`, rateLimit.interval),
    };
  }
  return limits;
}

/** A limit: a positive safe integer, or `InvalidTaskError` naming the option. */
export function positiveInteger(where: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidTaskError(`${where} must be a positive integer, got ${JSON.stringify(value)}.`);
  }
  return value;
}
