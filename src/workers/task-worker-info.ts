/** A running worker as it records itself in the database (`TaskService.listWorkers()`). */
export interface TaskWorkerInfo {
  /** The worker's id (`workerId`, default host:pid:random). */
  id: string;
  host: string;
  pid: number;
  /** The queues it takes tasks from; null: every queue. */
  queues: string[] | null;
  concurrency: number;
  /** Tasks it was running at its last heartbeat. */
  running: number;
  /** When it started, on the database's clock. */
  startedAt: Date;
  /** Its last heartbeat, on the database's clock. */
  lastHeartbeatAt: Date;
  /** When its row expires if no heartbeat comes (it is then taken for dead and deleted). */
  expiresAt: Date;
}
