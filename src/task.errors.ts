import type { TaskError } from './interfaces/task-error.interface';
import type { TaskResultStatus } from './task-result-status.enum';

/** Base class of every error this package throws, so callers can catch them all at once. */
export class TasksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Unknown task, invalid queue name or priority, or an invalid `@Task()` option. */
export class InvalidTaskError extends TasksError {}

/** Two `@Task()` methods share a name; thrown at start-up. */
export class DuplicateTaskError extends InvalidTaskError {}

/** Arguments that would not come back unchanged from JSON; `path` names the first offending value. */
export class InvalidTaskArgumentsError extends TasksError {
  constructor(message: string, readonly path?: string) {
    super(message);
  }
}

/** The JSON of `args` + `kwargs` is larger than `maxPayloadSize`. */
export class TaskPayloadTooLargeError extends InvalidTaskArgumentsError {}

/** A task returned something JSON cannot store unchanged; the attempt fails with this error. */
export class InvalidTaskReturnValueError extends TasksError {
  constructor(message: string, readonly path?: string) {
    super(message);
  }
}

/** The stored row names a task that this application does not define (any more). */
export class UnknownTaskError extends TasksError {}

/** The stored arguments of a row are not a valid JSON array (or kwargs object). */
export class CorruptTaskRowError extends TasksError {}

export class TaskResultNotFoundError extends TasksError {
  constructor(readonly id: string) {
    super(`No task result with id "${id}".`);
  }
}

/** `returnValue` of a task that has not finished yet. */
export class TaskNotFinishedError extends TasksError {
  constructor(readonly id: string, readonly status: TaskResultStatus) {
    super(`Task ${id} has not finished: it is ${status}.`);
  }
}

/** `returnValue` (or `wait()`) of a FAILED task; `error` is its last recorded error. */
export class TaskFailedError extends TasksError {
  constructor(readonly id: string, readonly error: TaskError | undefined) {
    super(`Task ${id} failed${error ? `: ${error.name}: ${error.message}` : ''}`);
  }
}

export class TaskCancelledError extends TasksError {
  constructor(readonly id: string) {
    super(`Task ${id} was cancelled.`);
  }
}

/** `wait()` gave up; `status` is what the task was when it did. */
export class TaskWaitTimeoutError extends TasksError {
  constructor(readonly id: string, readonly status: TaskResultStatus, readonly timeout: number) {
    super(`Task ${id} did not finish within ${timeout} ms; it is ${status}.`);
  }
}

/** An attempt ran longer than its `timeout`. */
export class TaskTimeoutError extends TasksError {
  constructor(readonly timeout: number) {
    super(`The task did not finish within its timeout of ${timeout} ms.`);
  }
}

/** The worker running an attempt stopped renewing its lease (it crashed or was cut off). */
export class WorkerLostError extends TasksError {}

/** `TaskService.context()` called outside a running task. */
export class TaskContextError extends TasksError {}

/** A worker option or command-line flag is out of range. */
export class InvalidWorkerOptionError extends TasksError {
  constructor(readonly option: string, message: string) {
    super(message);
  }
}

/** No schedule has this id (`pauseSchedule`, `resumeSchedule`, `triggerSchedule`). */
export class TaskScheduleNotFoundError extends TasksError {
  constructor(readonly id: string) {
    super(`No task schedule with id "${id}".`);
  }
}

/**
 * An enqueue with `throttle` was refused inside the window of an accepted one that no longer
 * exists (it was pruned or forgotten), so there is no task to resolve with.
 */
export class TaskThrottledError extends TasksError {
  constructor(readonly taskName: string, readonly key: string) {
    super(`${taskName} with key "${key}" is throttled: an enqueue was accepted within the window, and its task is gone.`);
  }
}

/**
 * Recorded in the `errors` of a task cancelled because a task it depends on ended FAILED or
 * CANCELLED (`onDependencyFailure: 'cancel'`, the default); its dependents get it too.
 */
export class DependencyFailedError extends TasksError {
  constructor(readonly dependencyId: string, readonly dependencyStatus: string) {
    super(`Dependency ${dependencyId} ended ${dependencyStatus}.`);
  }
}

/** `retry()` of a task that is not FAILED or CANCELLED; `status` is what it is. */
export class TaskNotRetryableError extends TasksError {
  constructor(readonly id: string, readonly status: TaskResultStatus, reason = 'only FAILED or CANCELLED tasks can be retried') {
    super(`Task ${id} is ${status}: ${reason}.`);
  }
}

/**
 * `retry()` of a keyed task that never ran (cancelled while pending) while a newer pending task
 * holds its key: retrying it would make two. `holderId` is the task that holds the key.
 */
export class TaskKeyConflictError extends TasksError {
  constructor(readonly id: string, readonly taskName: string, readonly key: string, readonly holderId: string) {
    super(`Task ${id} cannot be retried: task ${holderId} holds its key "${key}" of ${taskName}; retry it once that one has been claimed, or cancel that one.`);
  }
}

/**
 * A task's `concurrencyKey` threw or returned something other than a string of at most 191
 * characters, at enqueue: nothing was stored. `cause` is what it threw.
 */
export class TaskConcurrencyKeyError extends InvalidTaskError {
  constructor(message: string, cause?: unknown) {
    super(message);
    if (cause !== undefined) this.cause = cause;
  }
}
