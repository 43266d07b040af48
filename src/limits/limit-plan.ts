import type { TaskDefinition } from '../task.registry';
import type { QueueLimits } from './queue-limits';
import type { TaskLimit } from './task-limits';

/** A queue this worker claims under limits: the queue's own, and those of its tasks, by task name. */
export interface GovernedQueue {
  name: string;
  limits: QueueLimits;
  tasks: ReadonlyMap<string, TaskLimit>;
}

/** How a worker claims: its queues with limits one by one (limited claims), the others as before (the plain claim). */
export interface LimitPlan {
  governed: GovernedQueue[];
  /** The queues of the plain claim: null for every queue but `except`; empty for none. */
  plain: readonly string[] | null;
  except: readonly string[];
}

/**
 * The plan of a worker serving `workerQueues` (null: every queue), from the limits this
 * application declares: a queue is governed when it has limits or holds a task that has (a task
 * with a limit runs in its own queue only, see TaskService).
 */
export function limitPlan(queueLimits: ReadonlyMap<string, QueueLimits>, tasks: readonly TaskDefinition[],
  workerQueues: readonly string[] | null): LimitPlan {
  const governed = new Map<string, { name: string; limits: QueueLimits; tasks: Map<string, TaskLimit> }>();
  const entry = (name: string) => {
    let queue = governed.get(name);
    if (!queue) governed.set(name, (queue = { name, limits: queueLimits.get(name) ?? {}, tasks: new Map() }));
    return queue;
  };
  for (const name of queueLimits.keys()) entry(name);
  for (const task of tasks) if (task.limit) entry(task.queueName).tasks.set(task.name, task.limit);
  if (workerQueues === null) return { governed: [...governed.values()], plain: null, except: [...governed.keys()] };
  return {
    governed: workerQueues.filter((name) => governed.has(name)).map((name) => governed.get(name)!),
    plain: workerQueues.filter((name) => !governed.has(name)),
    except: [],
  };
}
