export enum TaskResultStatus {
  READY = 'READY',
  RUNNING = 'RUNNING',
  SUCCESSFUL = 'SUCCESSFUL',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

export const FINISHED_STATUSES: readonly TaskResultStatus[] = [
  TaskResultStatus.SUCCESSFUL,
  TaskResultStatus.FAILED,
  TaskResultStatus.CANCELLED,
];
