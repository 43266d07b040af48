import type { ClaimedTask } from '../dialects/task-dialect.interface';
import type { AttemptResult } from './task-attempt';

/** Injection token of the AttemptHook around every attempt, if any (the telemetry's). */
export const ATTEMPT_HOOK = Symbol('ATTEMPT_HOOK');

/**
 * Runs around every attempt, outside the task's middleware and context: sees the claimed row
 * and how the attempt ended. `attempt` never throws, and neither may `around`.
 */
export interface AttemptHook {
  around(task: ClaimedTask, attempt: () => Promise<AttemptResult>): Promise<AttemptResult>;
}
