import { Injectable, Logger } from '@nestjs/common';
import type { TaskResult } from '../entities/task-result.entity';
import type { TaskEventName } from './task-event.types';

export type TaskEventHandler = (result: TaskResult) => unknown;

interface Subscriber {
  handler: TaskEventHandler;
  /** `Class.method`, for the log when it throws. */
  label: string;
}

interface EventSubscribers {
  /** Subscribed to every task. */
  all: Subscriber[];
  byTask: Map<string, Subscriber[]>;
}

/**
 * The `@OnTaskEvent()` subscriptions of this application. Whoever makes a change asks `wants()`
 * first, so that with no subscriber no row is read and no result is built; `emit()` calls the
 * handlers without awaiting them, and a handler that throws is logged and changes nothing.
 */
@Injectable()
export class TaskEventBus {
  private readonly logger = new Logger('TaskEvents');
  private readonly subscribers = new Map<TaskEventName, EventSubscribers>();

  subscribe(event: TaskEventName, task: string | null, handler: TaskEventHandler, label: string): void {
    let subscribers = this.subscribers.get(event);
    if (!subscribers) this.subscribers.set(event, (subscribers = { all: [], byTask: new Map() }));
    const subscriber = { handler, label };
    if (task === null) {
      subscribers.all.push(subscriber);
    } else {
      const forTask = subscribers.byTask.get(task);
      if (forTask) forTask.push(subscriber);
      else subscribers.byTask.set(task, [subscriber]);
    }
  }

  /** Whether anyone listens to `event` of task `taskName`. */
  wants(event: TaskEventName, taskName: string): boolean {
    const subscribers = this.subscribers.get(event);
    return subscribers !== undefined && (subscribers.all.length > 0 || subscribers.byTask.has(taskName));
  }

  /** Whether anyone listens to one of `events` of task `taskName`. */
  wantsAny(events: readonly TaskEventName[], taskName: string): boolean {
    if (this.subscribers.size === 0) return false;
    return events.some((event) => this.wants(event, taskName));
  }

  /** Whether anyone listens to one of `events` of any task (before the task's name is known). */
  wantsAnyTask(events: readonly TaskEventName[]): boolean {
    return this.subscribers.size > 0 && events.some((event) => this.subscribers.has(event));
  }

  /** Calls the handlers of `event` for `result`, in order, each in its own promise. */
  emit(event: TaskEventName, result: TaskResult): void {
    const subscribers = this.subscribers.get(event);
    if (!subscribers) return;
    for (const subscriber of [...subscribers.all, ...(subscribers.byTask.get(result.taskName) ?? [])]) {
      void Promise.resolve()
        .then(() => subscriber.handler(result))
        .catch((error: unknown) => {
          this.logger.error(`${subscriber.label} (on '${event}' of task ${result.id}) threw: ${describe(error)}`,
            error instanceof Error ? error.stack : undefined);
        });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
