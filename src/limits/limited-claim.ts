import { isRelative } from '../core/task-time';
import { claimed } from '../core/task.transitions';
import type { ClaimedTask, TaskDialect } from '../dialects/task-dialect.interface';
import type { BoundStatement } from '../dialects/limit-statements.interface';
import type { SqlRunner } from '../dialects/workflow-statements.interface';
import { toClaimedTask } from '../dialects/shared/task-row.mapper';
import type { GovernedQueue } from './limit-plan';

type Row = Record<string, unknown>;

/** How far past the rows it can take a claim looks for rows of keys under their limit. */
const KEYED_LOOKAHEAD = 200;
const MAX_KEYED_WINDOW = 1_000;

export interface LimitedClaimRequest {
  workerId: string;
  limit: number;
  leaseMs: number;
  /** The concurrency key of a due row of a task that has a key function. */
  keyOf(row: Row): string;
}

/**
 * Claims up to `limit` due tasks of one governed queue in one transaction: lock the queue's row
 * (claims of this queue take turns; other queues never touch it), read its rate window and its
 * RUNNING tasks, then claim what the limits leave, in claim order, skipping tasks whose key is
 * at its limit. A task over a limit stays READY, untouched: no attempt is charged.
 */
export function claimLimited(dialect: TaskDialect, queue: GovernedQueue, request: LimitedClaimRequest): Promise<ClaimedTask[]> {
  const sql = dialect.limits;
  const { globalConcurrency, rateLimit } = queue.limits;
  return dialect.transaction(async (run) => {
    const state = await lockQueue(run, sql.lockQueue(queue.name, rateLimit?.interval ?? 0));
    if (!state || Number(state.paused)) return [];
    const expired = Boolean(Number(state.expired));
    const started = expired ? 0 : Number(state.rate_count);
    let budget = request.limit;
    if (rateLimit) budget = Math.min(budget, rateLimit.limit - started);
    if (budget <= 0) return [];
    const running = new Map<string, number>();
    if (globalConcurrency !== undefined || queue.tasks.size > 0) {
      let total = 0;
      for (const row of await query(run, sql.running(queue.name))) {
        const count = Number(row.count);
        total += count;
        const key = countKey(row.task_name as string, row.concurrency_key as string | null);
        running.set(key, (running.get(key) ?? 0) + count);
        // Every key of the task counts toward a task limit without a key function.
        const all = countKey(row.task_name as string, null);
        if (row.concurrency_key !== null && row.concurrency_key !== undefined) running.set(all, (running.get(all) ?? 0) + count);
      }
      if (globalConcurrency !== undefined) budget = Math.min(budget, globalConcurrency - total);
      if (budget <= 0) return [];
    }
    const window = queue.tasks.size > 0 ? Math.min(MAX_KEYED_WINDOW, budget + KEYED_LOOKAHEAD) : budget;
    const chosen: Row[] = [];
    const keys: (string | null)[] = [];
    for (const row of await query(run, sql.due(queue.name, window))) {
      if (chosen.length === budget) break;
      const limit = queue.tasks.get(row.task_name as string);
      let key: string | null = null;
      if (limit) {
        key = limit.concurrencyKey ? request.keyOf(row) : null;
        const counted = countKey(row.task_name as string, key);
        const count = running.get(counted) ?? 0;
        if (count >= limit.globalConcurrency) continue;
        running.set(counted, count + 1);
      }
      chosen.push(row);
      keys.push(key);
    }
    if (chosen.length === 0) return [];
    const change = claimed(request.workerId, request.leaseMs);
    const lease = isRelative(change.leaseExpiresAt) ? change.leaseExpiresAt.afterNow : request.leaseMs;
    await query(run, sql.claim(change.claimedBy, lease, chosen.map((row) => row.id as string), keys));
    if (rateLimit) await query(run, sql.charge(queue.name, expired, started + chosen.length));
    // Read before the update: the attempt it started is the next one.
    return chosen.map((row) => toClaimedTask(row, 1));
  });
}

function countKey(taskName: string, key: string | null): string {
  return key === null ? taskName : `${taskName}\u0000${key}`;
}

function query(run: SqlRunner, [sql, params]: BoundStatement): Promise<Row[]> {
  return run.query<Row>(sql, params);
}

async function lockQueue(run: SqlRunner, statements: BoundStatement[]): Promise<Row | undefined> {
  let rows: Row[] = [];
  for (const statement of statements) rows = await query(run, statement);
  return rows[0];
}
