import type { OperationsDialect } from '../dialects/operations-dialect.interface';
import type { ResolvedFilter } from './task-filter';

/** Lets timers (lease renewals, heartbeats) and I/O run between batches: SQLite writes synchronously. */
const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));

export interface BulkProgress {
  size: number;
  /** The statement returns its rows' queue_name (RETURNING) rather than a count. */
  returning?: boolean;
  onProgress?: (done: number) => void;
}

/**
 * Runs batches of `statement` (one statement each, at most `size` rows) until a batch takes
 * fewer than `size`. Every batch moves its rows out of the filter (retried rows are READY,
 * cancelled ones CANCELLED), so the loop ends. Returns how many rows changed and, where the
 * database returns them, their queues.
 */
export async function runBatches(
  db: OperationsDialect, statement: string, filter: ResolvedFilter, progress: BulkProgress, done = 0,
): Promise<{ count: number; queues: Set<string> | null }> {
  const queues = progress.returning ? new Set<string>() : null;
  let count = 0;
  for (;;) {
    // In the dialect's transaction: on MySQL that is READ COMMITTED, so the range the batch
    // scans is not gap-locked against the claims and finishes of running workers.
    const changed = await db.transaction(async (tx) => {
      if (!queues) return tx.run(statement, [...filter.values, progress.size]);
      const rows = await tx.all(statement, [...filter.values, progress.size]);
      rows.forEach((row) => queues.add(String(row.queue_name)));
      return rows.length;
    });
    count += changed;
    progress.onProgress?.(done + count);
    if (changed < progress.size) return { count, queues };
    await yieldToEventLoop();
  }
}

/** Deletes finished rows matching `filter` in batches, each with the edges to their dependencies, in one transaction. */
export async function deleteBatches(db: OperationsDialect, filter: ResolvedFilter, progress: BulkProgress): Promise<number> {
  const sql = db.statements;
  let total = 0;
  for (;;) {
    const deleted = await db.transaction(async (tx) => {
      const ids = (await tx.all(sql.deletableIds(filter.shape), [...filter.values, progress.size])).map((row) => String(row.id));
      if (ids.length === 0) return 0;
      await tx.run(sql.deleteEdges, [ids]);
      await tx.run(sql.deleteByIds, [ids]);
      return ids.length;
    });
    total += deleted;
    progress.onProgress?.(total);
    if (deleted < progress.size) return total;
    await yieldToEventLoop();
  }
}

/** Ids of READY or WAITING rows that have dependents, a batch at a time (each cancelled with its dependents). */
export async function cascadingIds(db: OperationsDialect, filter: ResolvedFilter, size: number): Promise<string[]> {
  return (await db.all(db.statements.cascadingIds(filter.shape), [...filter.values, size])).map((row) => String(row.id));
}
