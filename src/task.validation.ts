import { InvalidTaskError } from './task.errors';
import { MAX_PRIORITY, MIN_PRIORITY } from './tasks.constants';

export function validatePriority(priority: unknown, where: string): number {
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new InvalidTaskError(`${where}: priority must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${String(priority)}.`);
  }
  return priority;
}
