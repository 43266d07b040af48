import { claimOrder } from '../shared/task-row.mapper';

type Row = Record<string, unknown>;

/**
 * The index probes a MySQL/MariaDB claim is made of, each a statement of its own inside the
 * claim's transaction: MariaDB has no LATERAL join to walk the priorities in one statement, as
 * the PostgreSQL and SQLite claims do.
 */
export interface DueRowProbes {
  /** Queues that have READY rows, for a claim of every queue (a skip scan of the claim index). */
  queuesWithReadyRows(): Promise<string[]>;
  /** The highest priority of READY rows in `queue` below `below` (any when null), or null: one index seek. */
  topPriority(queue: string, below: number | null): Promise<number | null>;
  /**
   * Up to `limit` due READY rows of `queue` at exactly `priority`, in run_after, id order, with at
   * least the columns priority, run_after and id: one index range that starts at the oldest due
   * row and ends at the first future one, so rows scheduled later are never read.
   */
  dueAt(queue: string, priority: number, limit: number): Promise<Row[]>;
}

/**
 * The first `limit` due rows in claim order (priority DESC, run_after, id) across `queues`,
 * walking each queue's priorities from the highest down. The claim index is ordered by
 * (queue, priority, run_after), so a plain `run_after <= now ORDER BY priority DESC …` range
 * scan would read every READY row of a higher priority scheduled for later before a due row of
 * a lower one; one seek per priority present instead makes the claim cost the same however many
 * rows are scheduled or backing off.
 */
export async function collectDueRows(queues: readonly string[] | null, limit: number, probes: DueRowProbes): Promise<Row[]> {
  const names = queues ?? (await probes.queuesWithReadyRows());
  const rows: Row[] = [];
  for (const queue of names) {
    let found = 0;
    let priority = await probes.topPriority(queue, null);
    while (priority !== null && found < limit) {
      const due = await probes.dueAt(queue, priority, limit - found);
      found += due.length;
      rows.push(...due);
      if (found < limit) priority = await probes.topPriority(queue, priority);
    }
  }
  return names.length > 1 ? rows.sort(claimOrder).slice(0, limit) : rows;
}
