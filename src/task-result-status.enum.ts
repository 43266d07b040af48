export enum TaskResultStatus {
  /** Its dependencies are not all finished yet (see `dependsOn`); never claimed. */
  WAITING = 'WAITING',
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
