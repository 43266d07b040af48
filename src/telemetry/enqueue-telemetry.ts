import type { NewTaskRow } from '../dialects/task-dialect.interface';

/** Injection token of the TaskTelemetry, or null when it is off (`telemetry: false`, or no @opentelemetry/api). */
export const TASK_TELEMETRY = Symbol('TASK_TELEMETRY');

/**
 * What TaskService needs of the telemetry, without OpenTelemetry's types: its declarations must
 * compile in applications that do not install the optional peer.
 */
export interface EnqueueTelemetry {
  /** Runs `store` (the insert of `rows`) in an enqueue span, and counts the rows once stored. */
  enqueue<T>(rows: NewTaskRow[], store: () => Promise<T>): Promise<T>;
}
