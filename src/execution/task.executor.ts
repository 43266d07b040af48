import { Inject, Injectable, Optional } from '@nestjs/common';
import { TaskRegistry, TaskDefinition } from '../task.registry';
import { CorruptTaskRowError, InvalidTaskReturnValueError, TaskTimeoutError, UnknownTaskError } from '../task.errors';
import { encodeReturnValue } from '../serialization/task-payload';
import { parseJsonColumn } from '../dialects/shared/task-row.mapper';
import type { ClaimedTask } from '../dialects/task-dialect.interface';
import { taskContextStorage } from '../task-context';
import { AbortCause, AttemptAbort, AttemptResult, TaskRequeue } from './task-attempt';
import { toTaskError } from './task-error.factory';
import { TaskMiddlewareChain } from './task-middleware.chain';
import type { AttemptStop } from './attempt-stop';
import { ATTEMPT_HOOK, AttemptHook } from './attempt-hook';
import type { AttemptHooks } from './attempt-hooks';
import { AttemptContext } from './attempt-context';

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

  execute(task: ClaimedTask, stop: AttemptStop, hooks: AttemptHooks): Promise<AttemptResult> {
    return this.hook ? this.hook.around(task, () => this.attempt(task, stop, hooks)) : this.attempt(task, stop, hooks);
  }

  /** Not an async function: the attempt's one promise is the stop's (see AttemptStop.settle). */
  private attempt(task: ClaimedTask, stop: AttemptStop, hooks: AttemptHooks): Promise<AttemptResult> {
    const definition = this.registry.get(task.taskName);
    if (!definition) {
      return Promise.resolve(this.failed(new UnknownTaskError(
        `No task named "${task.taskName}" is defined in this application (renamed or removed?).`), task.attempt, false));
    }
    let args: unknown[];
    try {
      args = decodePayload(task);
    } catch (error) {
      return Promise.resolve(this.failed(error, task.attempt, false));
    }
    if (stop.aborted) return Promise.resolve(aborted(stop.reason, task.attempt));
    const timer = definition.timeout
      ? setTimeout(() => stop.abort(new TaskTimeoutError(definition.timeout!)), definition.timeout)
      : undefined;
    const ended = (error: unknown): AttemptResult => {
      clearTimeout(timer);
      if (error instanceof TaskRequeue) return { kind: 'requeued', delayMs: error.delayMs };
      // A task that fails because its signal fired is reported as the abort, not as its own error.
      if (stop.aborted) return aborted(stop.reason, task.attempt);
      // A return value JSON cannot hold would be refused again on every retry.
      return this.failed(error, task.attempt, !(error instanceof InvalidTaskReturnValueError));
    };
    let work: Promise<unknown>;
    try {
      work = this.invoke(definition, task, args, stop, hooks);
    } catch (error) {
      work = Promise.reject(error);
    }
    return stop.settle<AttemptResult>(work, (value) => {
      clearTimeout(timer);
      if (stop.aborted) return aborted(stop.reason, task.attempt);
      try {
        return { kind: 'succeeded', returnValue: encodeReturnValue(definition.name, value) };
      } catch (error) {
        return ended(error);
      }
    }, ended);
  }

  private invoke(definition: TaskDefinition, task: ClaimedTask, args: unknown[], stop: AttemptStop, hooks: AttemptHooks): Promise<unknown> {
    const context = new AttemptContext(task, stop, hooks);
    const middleware = this.middleware;
    if (middleware.empty) return taskContextStorage.run(context, callMethod, definition, args);
    return taskContextStorage.run(context, () => middleware.run(context, () => callMethod(definition, args)));
  }

  private failed(error: unknown, attempt: number, retryable: boolean): AttemptResult {
    return { kind: 'failed', error: toTaskError(error, attempt), retryable };
  }
}

/** The method's promise; a synchronous throw becomes a rejection, as if the method were async. */
function callMethod(definition: TaskDefinition, args: unknown[]): Promise<unknown> {
  try {
    const value: unknown = definition.instance[definition.methodName](...args);
    return value instanceof Promise ? value : Promise.resolve(value);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The method's arguments: the stored args, then the kwargs object if it has any key. */
function decodePayload(task: ClaimedTask): unknown[] {
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
  return hasKwargs ? [...args, kwargs] : args;
}

function aborted(reason: unknown, attempt: number): AttemptResult {
  if (reason instanceof TaskTimeoutError) return { kind: 'failed', error: toTaskError(reason, attempt), retryable: true };
  return { kind: 'aborted', cause: reason instanceof AttemptAbort ? reason.abortCause : AbortCause.SHUTDOWN };
}
