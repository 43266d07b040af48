import type { LimitStatements } from '../limit-statements.interface';

/** The named statements of limited claims on PostgreSQL, for the tables `queues` and `results` of the DataSource's schema. */
export function postgresLimitStatements(queues: string, results: string): LimitStatements {
  const storedNow = "date_trunc('milliseconds', now())";
  return {
    // An upsert that always updates: it locks the row, new or not, in one round trip.
    lockQueue: (queue, intervalMs) => [[`
      INSERT INTO ${queues} (name, updated_at) VALUES ($1::text, now())
      ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
      RETURNING paused, rate_count,
                rate_window_start IS NULL OR rate_window_start <= now() - $2::float8 * interval '1 millisecond' AS expired`,
    [queue, intervalMs]]],
    running: (queue) => [`
      SELECT task_name, concurrency_key, count(*)::int AS count FROM ${results}
       WHERE status = 'RUNNING' AND queue_name = $1::text
       GROUP BY task_name, concurrency_key`, [queue]],
    // now() is the transaction's: the very time the claim below writes to last_attempted_at.
    due: (queue, limit) => [`
      SELECT id, task_name, queue_name, priority, args, kwargs, attempt, max_attempts, run_after, scheduled_at,
             trace_context, now() AS claimed_at, has_dependents FROM ${results}
       WHERE status = 'READY' AND queue_name = $1::text AND run_after <= now()
       ORDER BY priority DESC, run_after, id
       LIMIT $2::int
         FOR UPDATE SKIP LOCKED`, [queue, limit]],
    claim: (claimedBy, leaseMs, ids, keys) => [`
      UPDATE ${results} AS t
         SET status = 'RUNNING', attempt = t.attempt + 1, claimed_by = $1::text,
             lease_expires_at = date_trunc('milliseconds', now() + $2::float8 * interval '1 millisecond'),
             started_at = COALESCE(t.started_at, now()), last_attempted_at = now(),
             worker_ids = t.worker_ids || to_jsonb($1::text), concurrency_key = c.key
        FROM unnest($3::text[], $4::text[]) AS c(id, key)
       WHERE t.id = c.id AND t.status = 'READY'`, [claimedBy, leaseMs, ids, keys]],
    charge: (queue, restart, count) => [`
      UPDATE ${queues}
         SET rate_window_start = CASE WHEN $2::bool THEN ${storedNow} ELSE rate_window_start END, rate_count = $3::int, updated_at = now()
       WHERE name = $1::text`, [queue, restart, count]],
  };
}
