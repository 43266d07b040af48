import type { OperationsDialect, OperationsRow } from '../dialects/operations-dialect.interface';
import { parseJsonColumn, toDate } from '../dialects/shared/task-row.mapper';
import type { TaskWorkerInfo } from './task-worker-info';

/** The live workers (heartbeat not expired), by id. */
export async function listWorkers(db: OperationsDialect): Promise<TaskWorkerInfo[]> {
  return (await db.all(db.workers.list)).map(toWorkerInfo);
}

function toWorkerInfo(row: OperationsRow): TaskWorkerInfo {
  const queues = row.queues === null || row.queues === undefined ? null : (parseJsonColumn(row.queues) as string[] | null);
  return {
    id: String(row.id),
    host: String(row.host),
    pid: Number(row.pid),
    queues,
    concurrency: Number(row.concurrency),
    running: Number(row.running),
    startedAt: toDate(row.started_at)!,
    lastHeartbeatAt: toDate(row.heartbeat_at)!,
    expiresAt: toDate(row.expires_at)!,
  };
}
