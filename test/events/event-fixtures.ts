import { Injectable } from '@nestjs/common';
import { OnTaskEvent, Task, TaskEventName, TaskResult, TaskService } from '../../src';

export interface SeenEvent {
  event: TaskEventName;
  /** Which handler saw it: `all`, or the narrowed one. */
  by: string;
  id: string;
  taskName: string;
  status: string;
  attempts: number;
  errors: string[];
  storedReturnValue: unknown;
  progress: unknown;
  isEntity: boolean;
}

export const seen: SeenEvent[] = [];

function record(event: TaskEventName, result: TaskResult, by = 'all'): void {
  seen.push({
    event,
    by,
    id: result.id,
    taskName: result.taskName,
    status: result.status,
    attempts: result.attempts,
    errors: (result.errors ?? []).map((error) => `${error.attempt}:${error.name}:${error.message}`),
    storedReturnValue: result.storedReturnValue,
    progress: result.progress,
    isEntity: result instanceof TaskResult,
  });
}

/** The events seen for task `id` (by the handlers for all tasks), in order. */
export function eventsOf(id: string, by = 'all'): TaskEventName[] {
  return seen.filter((entry) => entry.id === id && entry.by === by).map((entry) => entry.event);
}

export function seenOf(id: string, event: TaskEventName, by = 'all'): SeenEvent[] {
  return seen.filter((entry) => entry.id === id && entry.event === event && entry.by === by);
}

@Injectable()
export class EventTasks {
  /** Resolvers of running `held` tasks. */
  static holds: (() => void)[] = [];

  constructor(private readonly tasks: TaskService) {}

  @Task()
  async double(n: number): Promise<number> {
    return n * 2;
  }

  @Task({ maxAttempts: 2, backoff: 0 })
  async flaky(): Promise<string> {
    if (this.tasks.context().attempt === 1) throw new Error('first attempt fails');
    return 'second attempt';
  }

  @Task({ maxAttempts: 2, backoff: 0 })
  async broken(): Promise<never> {
    throw new Error(`broken on attempt ${this.tasks.context().attempt}`);
  }

  @Task()
  async reporting(): Promise<string> {
    await this.tasks.context().setProgress(1, 2, 'half way');
    return 'reported';
  }

  /** Runs until its signal fires (a cancellation). */
  @Task()
  async held(): Promise<string> {
    const { signal } = this.tasks.context();
    await new Promise<void>((resolve, reject) => {
      EventTasks.holds.push(resolve);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    return 'released';
  }
}

/** Subscribes to every event of every task, and to a few of one task only. */
@Injectable()
export class EventListener {
  @OnTaskEvent('enqueued')
  enqueued(result: TaskResult): void {
    record('enqueued', result);
  }

  @OnTaskEvent('started')
  started(result: TaskResult): void {
    record('started', result);
  }

  @OnTaskEvent('progress')
  progress(result: TaskResult): void {
    record('progress', result);
  }

  @OnTaskEvent('retrying')
  retrying(result: TaskResult): void {
    record('retrying', result);
  }

  @OnTaskEvent('succeeded')
  succeeded(result: TaskResult): void {
    record('succeeded', result);
  }

  @OnTaskEvent('failed')
  failed(result: TaskResult): void {
    record('failed', result);
  }

  @OnTaskEvent('cancelled')
  cancelled(result: TaskResult): void {
    record('cancelled', result);
  }

  @OnTaskEvent('rescued')
  rescued(result: TaskResult): void {
    record('rescued', result);
  }

  @OnTaskEvent('finished')
  finished(result: TaskResult): void {
    record('finished', result);
  }

  @OnTaskEvent('succeeded', { task: [EventTasks, 'double'] })
  doubleSucceeded(result: TaskResult<number>): void {
    record('succeeded', result, 'double');
  }

  /** Two subscriptions on one method, the task named by its stored name. */
  @OnTaskEvent('enqueued', { task: 'EventTasks.double' })
  @OnTaskEvent('finished', { task: 'EventTasks.double' })
  doubleEnqueuedOrFinished(result: TaskResult<number>): void {
    record(result.isFinished ? 'finished' : 'enqueued', result, 'double');
  }

  /** Throws: logged, and nothing else changes. */
  @OnTaskEvent('succeeded', { task: [EventTasks, 'flaky'] })
  throwing(): void {
    throw new Error('listener failure');
  }
}
