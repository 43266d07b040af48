import type { LimitStatements } from '../limit-statements.interface';
import { CLAIMED, CLAIMED_COLUMNS, NOW } from './sqlite.statements';

/**
 * The named statements of limited claims on SQLite. Its claims are immediate transactions, one
 * at a time, so the queue's row needs no lock: `lockQueue` only makes sure it exists.
 */
export const SQLITE_LIMITS: LimitStatements = {
  lockQueue: (queue, intervalMs) => [[`
    INSERT INTO task_queues (name, updated_at) VALUES (?, ${NOW})
    ON CONFLICT (name) DO UPDATE SET name = excluded.name
    RETURNING paused, rate_count,
              rate_window_start IS NULL
              OR rate_window_start <= strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', ? / -1000.0)) AS expired`,
  [queue, intervalMs]]],
  running: (queue) => [`
    SELECT task_name, concurrency_key, count(*) AS count FROM task_results
     WHERE status = 'RUNNING' AND queue_name = ?
     GROUP BY task_name, concurrency_key`, [queue]],
  // Read before the claim's update: the claim's time is now, not the row's last attempt.
  due: (queue, limit) => [`
    SELECT ${CLAIMED_COLUMNS.replace('last_attempted_at AS claimed_at', `${NOW} AS claimed_at`)} FROM task_results
     WHERE status = 'READY' AND queue_name = ? AND run_after <= ${NOW}
     ORDER BY priority DESC, run_after, id
     LIMIT ?`, [queue, limit]],
  // Pairs [id, key] as JSON: one parameter whatever their number.
  claim: (claimedBy, leaseMs, ids, keys) => {
    const pairs = JSON.stringify(ids.map((id, index) => [id, keys[index]]));
    return [`
      UPDATE task_results
         SET ${CLAIMED},
             concurrency_key = (SELECT json_extract(value, '$[1]') FROM json_each(?) WHERE json_extract(value, '$[0]') = task_results.id)
       WHERE id IN (SELECT json_extract(value, '$[0]') FROM json_each(?)) AND status = 'READY'`,
    [claimedBy, leaseMs, claimedBy, pairs, pairs]];
  },
  charge: (queue, restart, count) => [`
    UPDATE task_queues
       SET rate_window_start = CASE WHEN ? THEN ${NOW} ELSE rate_window_start END, rate_count = ?, updated_at = ${NOW}
     WHERE name = ?`, [restart ? 1 : 0, count, queue]],
};
