/** One line of the `queueDepth` statement: how many tasks of a queue are in a status. */
export interface QueueDepthRow {
  queue: string;
  status: string;
  count: number;
}

/**
 * `queueDepth`: the tasks not finished, counted per queue and status. Finished rows are left out
 * so that the count reads the claim index's READY range and the few RUNNING and WAITING rows,
 * not the whole history.
 */
export function queueDepthStatement(table = 'task_results'): string {
  return `SELECT queue_name AS queue, status, COUNT(*) AS count FROM ${table}
           WHERE status IN ('READY', 'RUNNING', 'WAITING') GROUP BY queue_name, status`;
}

/** Drivers hand COUNT(*) back as a number, a bigint's text or a BigInt. */
export function toQueueDepthRows(rows: Record<string, unknown>[]): QueueDepthRow[] {
  return rows.map((row) => ({ queue: String(row.queue), status: String(row.status), count: Number(row.count) }));
}
