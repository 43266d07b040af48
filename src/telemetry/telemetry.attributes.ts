/**
 * Attribute names of spans and metrics, in the style of OpenTelemetry's messaging semantic
 * conventions; what they have no name for is under `nestjs_tasks.`.
 */
export const ATTR = {
  SYSTEM: 'messaging.system',
  OPERATION_NAME: 'messaging.operation.name',
  OPERATION_TYPE: 'messaging.operation.type',
  QUEUE: 'messaging.destination.name',
  MESSAGE_ID: 'messaging.message.id',
  BATCH_COUNT: 'messaging.batch.message_count',
  ERROR_TYPE: 'error.type',
  TASK_NAME: 'nestjs_tasks.task.name',
  ATTEMPT: 'nestjs_tasks.task.attempt',
  MAX_ATTEMPTS: 'nestjs_tasks.task.max_attempts',
  /** Of a metric: the task's status after it (SUCCESSFUL, FAILED, CANCELLED; or READY, RUNNING, WAITING for the depth). */
  STATUS: 'nestjs_tasks.task.status',
  /** Of an attempt: how it ended (succeeded, retrying, failed, cancelled, released, requeued). */
  OUTCOME: 'nestjs_tasks.attempt.outcome',
} as const;

export const MESSAGING_SYSTEM = 'nestjs_tasks';
