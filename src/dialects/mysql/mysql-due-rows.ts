import { claimOrder } from '../shared/task-row.mapper';

type Row = Record<string, unknown>;

/** Due rows of one queue at one priority, at most `limit`. */
export interface DueBucket {
  queue: string;
  priority: number;
  limit: number;
}

/**
 * What the last claim of a queue learned: its priorities from the highest down to the first that
 * had due rows. The next claim checks it and reads those rows in one round trip.
 */
export type PriorityPath = readonly number[];

/** Paths longer than this are walked again rather than checked: each step is a probe of the check. */
const MAX_PATH = 4;

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
  /**
   * One round trip for one queue and a path [p1 … pk]: up to `limit` due rows at pk, read only if
   * no row of p1 … pk-1 is due, and the priorities that tell whether the path still holds: the
   * queue's highest, then the next one below each of p1 … pk (null: none).
   */
  dueAlong(queue: string, path: PriorityPath, limit: number): Promise<{ rows: Row[]; priorities: (number | null)[] }>;
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
export async function collectDueRows(queues: readonly string[], limit: number, probes: DueRowProbes,
  paths: Map<string, PriorityPath>): Promise<Row[]> {
  if (queues.length === 1) return collectFromQueue(queues[0], limit, probes, paths);
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

/**
 * One queue's walk, starting from where its last claim found rows when the path there still
 * holds: a claim as steady as most are (one priority, or due rows behind a higher priority's
 * scheduled ones) is then one round trip, like a plain ordered range.
 */
async function collectFromQueue(queue: string, limit: number, probes: DueRowProbes, paths: Map<string, PriorityPath>): Promise<Row[]> {
  const rows: Row[] = [];
  const visited: number[] = [];
  let next: number | null | undefined;
  const path = paths.get(queue);
  if (path) {
    const along = await probes.dueAlong(queue, path, limit);
    const [top, ...below] = along.priorities;
    // No rows says nothing: a higher priority may have due rows now. Walk from the top then.
    if (along.rows.length > 0 && top === path[0] && path.every((priority, step) => step === 0 || below[step - 1] === priority)) {
      rows.push(...along.rows);
      visited.push(...path);
      next = below[path.length - 1];
    }
  }
  if (visited.length === 0) next = (await probes.topPriorities([queue])).get(queue);
  while (rows.length < limit && next !== null && next !== undefined) {
    const due = await probes.dueIn([{ queue, priority: next, limit: limit - rows.length }]);
    visited.push(next);
    rows.push(...due.rows);
    next = due.below.get(queue);
  }
  const firstDue = rows.length > 0 ? visited.indexOf(Number(rows[0].priority)) : -1;
  if (firstDue >= 0 && firstDue < MAX_PATH) paths.set(queue, visited.slice(0, firstDue + 1));
  else paths.delete(queue);
  return rows;
}
