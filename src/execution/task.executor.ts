import { Inject, Injectable, Optional } from '@nestjs/common';
import { TaskRegistry, TaskDefinition } from '../task.registry';
import { CorruptTaskRowError, InvalidTaskReturnValueError, TaskTimeoutError, UnknownTaskError } from '../task.errors';
import { encodeReturnValue } from '../serialization/task-payload';
import { parseJsonColumn, toDate } from '../dialects/shared/task-row.mapper';
import type { ClaimedTask } from '../dialects/task-dialect.interface';
import { taskContextStorage, TaskContext } from '../task-context';
import type { TaskResult } from '../entities/task-result.entity';
import { AbortCause, AttemptAbort, AttemptResult, TaskRequeue } from './task-attempt';
import { dependenciesOf } from '../workflows/task-dependencies';
import { toTaskError } from './task-error.factory';
import { TaskMiddlewareChain } from './task-middleware.chain';
import type { AttemptStop } from './attempt-stop';
import { ATTEMPT_HOOK, AttemptHook } from './attempt-hook';

export interface AttemptHooks {
  workerId: string;
  stop: AttemptStop;
  setProgress(progress: string): Promise<void>;
  /** Builds the row as an entity, only if the task asks for `context().taskResult`. */
  taskResult(): TaskResult;
}

/**
 * Runs one attempt of one task: decodes its arguments, calls the method inside its context and
 * its middleware, enforces the timeout and turns whatever happens into an `AttemptResult`. It
 * never throws. The worker and the immediate backend both run tasks through it.
 */
@Injectable()
export class TaskExecutor {
  constructor(
    private readonly registry: TaskRegistry,
    private readonly middleware: TaskMiddlewareChain,
    @Optional() @Inject(ATTEMPT_HOOK) private readonly hook: AttemptHook | null = null,
  ) {}

  execute(task: ClaimedTask, hooks: AttemptHooks): Promise<AttemptResult> {
    return this.hook ? this.hook.around(task, () => this.attempt(task, hooks)) : this.attempt(task, hooks);
  }

  private async attempt(task: ClaimedTask, hooks: AttemptHooks): Promise<AttemptResult> {
    const definition = this.registry.get(task.taskName);
    if (!definition) {
      return this.failed(new UnknownTaskError(
        `No task named "${task.taskName}" is defined in this application (renamed or removed?).`), task.attempt, false);
    }
    let args: unknown[];
    let kwargs: Record<string, unknown> | undefined;
    try {
      ({ args, kwargs } = decodePayload(task));
    } catch (error) {
      return this.failed(error, task.attempt, false);
    }
    const { stop } = hooks;
    if (stop.aborted) return aborted(stop.reason, task.attempt);
    const timer = definition.timeout
      ? setTimeout(() => stop.abort(new TaskTimeoutError(definition.timeout!)), definition.timeout)
      : undefined;
    try {
      const value = await stop.race(this.invoke(definition, task, args, kwargs, hooks));
      if (stop.aborted) return aborted(stop.reason, task.attempt);
      return { kind: 'succeeded', returnValue: encodeReturnValue(definition.name, value) };
    } catch (error) {
      if (error instanceof TaskRequeue) return { kind: 'requeued', delayMs: error.delayMs };
      // A task that fails because its signal fired is reported as the abort, not as its own error.
      if (stop.aborted) return aborted(stop.reason, task.attempt);
      // A return value JSON cannot hold would be refused again on every retry.
      return this.failed(error, task.attempt, !(error instanceof InvalidTaskReturnValueError));
    } finally {
      clearTimeout(timer);
    }
  }

  private invoke(definition: TaskDefinition, task: ClaimedTask, args: unknown[], kwargs: Record<string, unknown> | undefined, hooks: AttemptHooks): Promise<unknown> {
    let taskResult: TaskResult | undefined;
    const context: TaskContext = {
      get taskResult() {
        return (taskResult ??= hooks.taskResult());
      },
      attempt: task.attempt,
      workerId: hooks.workerId,
      scheduledAt: toDate(task.scheduledAt),
      get signal() {
        return hooks.stop.signal;
      },
      setProgress: (current, total, message) =>
        hooks.setProgress(JSON.stringify({ current, total: total ?? null, message: message ?? null })),
      dependencies: () => dependenciesOf(context.taskResult),
      requeue: (delayMs = 0) => {
        if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
          throw new TypeError(`requeue(): delayMs must be a number of milliseconds >= 0, got ${String(delayMs)}.`);
        }
        throw new TaskRequeue(delayMs);
      },
    };
    const callArgs = kwargs === undefined ? args : [...args, kwargs];
    // The method runs inside an async function so a synchronous throw becomes a rejection.
    const call = async () => definition.instance[definition.methodName](...callArgs);
    const middleware = this.middleware;
    return taskContextStorage.run(context, middleware.empty ? call : () => middleware.run(context, call));
  }

  private failed(error: unknown, attempt: number, retryable: boolean): AttemptResult {
    return { kind: 'failed', error: toTaskError(error, attempt), retryable };
  }
}

function decodePayload(task: ClaimedTask): { args: unknown[]; kwargs: Record<string, unknown> | undefined } {
  let args: unknown;
  let kwargs: unknown;
  try {
    args = parseJsonColumn(task.args);
    kwargs = parseJsonColumn(task.kwargs);
  } catch (error) {
    throw new CorruptTaskRowError(`The stored arguments of task ${task.id} are not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(args)) throw new CorruptTaskRowError(`The stored args of task ${task.id} are not a JSON array.`);
  if (kwargs !== null && kwargs !== undefined && (typeof kwargs !== 'object' || Array.isArray(kwargs))) {
    throw new CorruptTaskRowError(`The stored kwargs of task ${task.id} are not a JSON object.`);
  }
  const hasKwargs = kwargs && Object.keys(kwargs).length > 0;
  return { args, kwargs: hasKwargs ? (kwargs as Record<string, unknown>) : undefined };
}

function aborted(reason: unknown, attempt: number): AttemptResult {
  if (reason instanceof TaskTimeoutError) return { kind: 'failed', error: toTaskError(reason, attempt), retryable: true };
  return { kind: 'aborted', cause: reason instanceof AttemptAbort ? reason.abortCause : AbortCause.SHUTDOWN };
}
