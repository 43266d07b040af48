import type { LimitStatements } from '../limit-statements.interface';
import { AFTER_NOW, DUE_COLUMNS, NOW } from './mysql.statements';

/** The named statements of limited claims on MySQL/MariaDB, in a READ COMMITTED transaction. */
export const MYSQL_LIMITS: LimitStatements = {
  lockQueue: (queue, intervalMs) => [
    [`INSERT INTO task_queues (name, updated_at) VALUES (?, ${NOW}) ON DUPLICATE KEY UPDATE name = name`, [queue]],
    [`SELECT paused, rate_count,
             rate_window_start IS NULL OR rate_window_start <= TIMESTAMPADD(MICROSECOND, ? * -1000, ${NOW}) AS expired
        FROM task_queues WHERE name = ? FOR UPDATE`, [intervalMs, queue]],
  ],
  running: (queue) => [`
    SELECT task_name, concurrency_key, count(*) AS count FROM task_results
     WHERE status = 'RUNNING' AND queue_name = ?
     GROUP BY task_name, concurrency_key`, [queue]],
  due: (queue, limit) => [`
    SELECT ${DUE_COLUMNS} FROM task_results
     WHERE status = 'READY' AND queue_name = ? AND run_after <= ${NOW}
     ORDER BY priority DESC, run_after, id
     LIMIT ?
       FOR UPDATE SKIP LOCKED`, [queue, limit]],
  claim: (claimedBy, leaseMs, ids, keys) => [`
    UPDATE task_results
       SET status = 'RUNNING', attempt = attempt + 1, claimed_by = ?, lease_expires_at = ${AFTER_NOW},
           started_at = COALESCE(started_at, ${NOW}), last_attempted_at = ${NOW},
           worker_ids = JSON_ARRAY_APPEND(worker_ids, '$', ?),
           concurrency_key = CASE id ${ids.map(() => 'WHEN ? THEN ?').join(' ')} END
     WHERE id IN (?) AND status = 'READY'`,
  [claimedBy, leaseMs, claimedBy, ...ids.flatMap((id, index) => [id, keys[index]]), ids]],
  charge: (queue, restart, count) => [`
    UPDATE task_queues
       SET rate_window_start = CASE WHEN ? THEN ${NOW} ELSE rate_window_start END, rate_count = ?, updated_at = ${NOW}
     WHERE name = ?`, [restart ? 1 : 0, count, queue]],
};
