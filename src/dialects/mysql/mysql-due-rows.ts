import { claimOrder } from '../shared/task-row.mapper';

type Row = Record<string, unknown>;

/** Due rows of one queue at one priority, at most `limit`. */
export interface DueBucket {
  queue: string;
  priority: number;
  limit: number;
}

/**
 * The index probes a MySQL/MariaDB claim is made of, inside the claim's transaction. MariaDB has
 * no LATERAL join to walk the priorities in one statement, as the PostgreSQL and SQLite claims
 * do, so each step probes every queue still walking at once: one statement of one index probe
 * or range per queue, whatever the number of queues.
 */
export interface DueRowProbes {
  /** The highest priority of READY rows per queue; queues with none are left out. */
  topPriorities(queues: readonly string[]): Promise<Map<string, number>>;
  /**
   * Up to `limit` due READY rows of each bucket's queue at exactly its priority, in run_after, id
   * order, locked, with at least the columns queue_name, priority, run_after and id: per bucket
   * one index range that starts at the oldest due row and ends at the first future one, so rows
   * scheduled later are never read. With them, in the same round trip, the priority each bucket's
   * queue has next below the bucket's (one index probe), so the walk needs no probe of its own.
   */
  dueIn(buckets: DueBucket[]): Promise<{ rows: Row[]; below: Map<string, number> }>;
}

/**
 * The first `limit` due rows in claim order (priority DESC, run_after, id) across `queues`,
 * walking each queue's priorities from the highest down. The claim index is ordered by
 * (queue, priority, run_after), so a plain `run_after <= now ORDER BY priority DESC …` range
 * scan would read every READY row of a higher priority scheduled for later before a due row of
 * a lower one, and across queues it is a filesort, which under FOR UPDATE locks every due row
 * it reads. The walk reads the index in order instead: the claim costs the same however many
 * rows are scheduled or backing off, and locks at most `limit` rows per queue. A claim takes two
 * round trips (the top priorities, then their rows), plus one per priority passed over.
 */
export async function collectDueRows(queues: readonly string[], limit: number, probes: DueRowProbes): Promise<Row[]> {
  const found = new Map(queues.map((queue) => [queue, 0]));
  const rows: Row[] = [];
  const tops = await probes.topPriorities(queues);
  let buckets: DueBucket[] = [...tops].map(([queue, priority]) => ({ queue, priority, limit }));
  while (buckets.length > 0) {
    const due = await probes.dueIn(buckets);
    for (const row of due.rows) {
      const queue = row.queue_name as string;
      found.set(queue, found.get(queue)! + 1);
      rows.push(row);
    }
    buckets = buckets
      .filter(({ queue }) => found.get(queue)! < limit && due.below.has(queue))
      .map(({ queue }) => ({ queue, priority: due.below.get(queue)!, limit: limit - found.get(queue)! }));
  }
  return queues.length > 1 ? rows.sort(claimOrder).slice(0, limit) : rows;
}
