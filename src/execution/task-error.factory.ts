import { inspect } from 'node:util';
import type { TaskError } from '../interfaces/task-error.interface';

/**
 * A `TaskError` from whatever a task threw; a non-Error value is described, not lost. Its text is
 * made storable (no NUL, no unpaired surrogate) so that recording a failure can never fail.
 */
export function toTaskError(thrown: unknown, attempt: number): TaskError {
  const error = describeThrown(thrown, attempt);
  return { ...error, name: storable(error.name), message: storable(error.message), traceback: storable(error.traceback) };
}

function storable(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').toWellFormed();
}

function describeThrown(thrown: unknown, attempt: number): TaskError {
  const failedAt = new Date().toISOString();
  if (thrown instanceof Error) {
    return {
      name: thrown.name || thrown.constructor?.name || 'Error',
      message: thrown.message,
      traceback: thrown.stack ?? '',
      attempt,
      failedAt,
    };
  }
  return {
    name: 'NonErrorThrown',
    message: `The task threw a value that is not an Error: ${inspect(thrown, { depth: 2, breakLength: Infinity })}`,
    traceback: '',
    attempt,
    failedAt,
  };
}
