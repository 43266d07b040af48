import { InvalidTaskArgumentsError, InvalidTaskReturnValueError, TaskPayloadTooLargeError } from '../task.errors';
import { findJsonMismatch } from './json-roundtrip';

export interface EncodedPayload {
  args: string;
  kwargs: string;
}

/** Checks and stringifies a task's arguments once, for storage. */
export function encodeTaskPayload(
  taskName: string,
  args: unknown,
  kwargs: unknown,
  maxPayloadSize: number,
): EncodedPayload {
  if (!Array.isArray(args)) {
    throw new InvalidTaskArgumentsError(`Arguments of ${taskName} must be an array, got ${describe(args)}.`, 'args');
  }
  const argsMismatch = findJsonMismatch(args, 'args');
  if (argsMismatch) {
    throw new InvalidTaskArgumentsError(
      `Arguments of ${taskName} do not survive JSON: ${argsMismatch.path} is ${argsMismatch.reason}.`,
      argsMismatch.path,
    );
  }
  if (kwargs !== undefined) {
    if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) {
      throw new InvalidTaskArgumentsError(`kwargs of ${taskName} must be a plain object, got ${describe(kwargs)}.`, 'kwargs');
    }
    const kwargsMismatch = findJsonMismatch(kwargs, 'kwargs');
    if (kwargsMismatch) {
      throw new InvalidTaskArgumentsError(
        `kwargs of ${taskName} do not survive JSON: ${kwargsMismatch.path} is ${kwargsMismatch.reason}.`,
        kwargsMismatch.path,
      );
    }
  }
  const encoded = { args: JSON.stringify(args), kwargs: kwargs === undefined ? '{}' : JSON.stringify(kwargs) };
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most payloads need no byte count at all.
  if ((encoded.args.length + encoded.kwargs.length) * 3 <= maxPayloadSize) return encoded;
  const size = Buffer.byteLength(encoded.args) + Buffer.byteLength(encoded.kwargs);
  if (size > maxPayloadSize) {
    throw new TaskPayloadTooLargeError(
      `Arguments of ${taskName} are ${size} bytes of JSON, over the limit of ${maxPayloadSize} (TasksModule option maxPayloadSize). ` +
        'Store large data elsewhere and pass its id.',
      'args',
    );
  }
  return encoded;
}

/** A task's return value as stored JSON; `undefined` (a void task) is stored as null. */
export function encodeReturnValue(taskName: string, value: unknown): string {
  if (value === undefined) return 'null';
  const mismatch = findJsonMismatch(value, 'returnValue');
  if (mismatch) {
    throw new InvalidTaskReturnValueError(
      `${taskName} returned a value that does not survive JSON: ${mismatch.path} is ${mismatch.reason}.`,
      mismatch.path,
    );
  }
  return JSON.stringify(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
