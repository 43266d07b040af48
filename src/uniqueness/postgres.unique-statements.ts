import { INSERT_COLUMNS, insertValues } from '../dialects/shared/insert-columns';
import { ENQUEUED_CHANNEL } from '../dialects/postgres/pg-channels';
import type { KeyedTask, UniqueStatements } from './uniqueness-dialect.interface';

const afterNow = (ms: string) => `date_trunc('milliseconds', now() + ${ms} * interval '1 millisecond')`;
/** The arbiter of `upsert`: the predicate of the partial index task_results_pending_key_idx (never claimed, pending). */
const PENDING = "unique_key IS NOT NULL AND status IN ('READY', 'WAITING') AND last_attempted_at IS NULL";

/** The named statements of unique tasks on PostgreSQL, for `table` and `throttles`. */
export function postgresUniqueStatements(table: string, throttles: string): UniqueStatements {
  return {
    /**
     * One round trip: ON CONFLICT … DO UPDATE waits for a concurrent enqueue of the key to
     * commit, locks the pending row and returns it even when this statement's snapshot predates
     * it. A row claimed meanwhile (RUNNING) is out of the index, so the insert is retried and
     * stores the follow-up. DO NOTHING would return nothing: skip is an update that changes
     * nothing. Workers of every process hear of a new or replaced task at the commit.
     * $1…$11 insertValues (trace_context last), $12 metadata, $13 key, $14 replace, $15 debounce maxWait ms.
     */
    upsert: `
      WITH up AS (
        INSERT INTO ${table} AS t (${INSERT_COLUMNS}, metadata, unique_key)
        VALUES ($1::text, $2::text, 'READY', $3::text, $4::smallint, $5::jsonb, $6::jsonb, $7::text,
                COALESCE($8::timestamptz, ${afterNow('$9::float8')}), date_trunc('milliseconds', now()), $10::int,
                0, '[]', '[]', false, $11::text, $12::jsonb, $13::text)
        ON CONFLICT (task_name, unique_key) WHERE ${PENDING}
        DO UPDATE SET
          args = CASE WHEN $14::bool THEN EXCLUDED.args ELSE t.args END,
          kwargs = CASE WHEN $14::bool THEN EXCLUDED.kwargs ELSE t.kwargs END,
          metadata = CASE WHEN $14::bool THEN EXCLUDED.metadata ELSE t.metadata END,
          priority = CASE WHEN $14::bool THEN EXCLUDED.priority ELSE t.priority END,
          run_after = CASE WHEN NOT $14::bool THEN t.run_after
                           WHEN $15::float8 IS NULL THEN EXCLUDED.run_after
                           ELSE LEAST(EXCLUDED.run_after, t.enqueued_at + $15::float8 * interval '1 millisecond') END
        RETURNING t.*
      ), notified AS (
        SELECT pg_notify('${ENQUEUED_CHANNEL}', queue_name) FROM up WHERE up.id = $1::text OR $14::bool
      )
      SELECT up.*, (SELECT count(*) FROM notified) AS notified FROM up`,
    upsertParams: (task: KeyedTask) => [...insertValues(task.row, (date) => date.toISOString()), task.row.metadataJson ?? null,
      task.row.uniqueKey, task.replace, task.maxWaitMs],
    keyParams: (taskName, key) => [taskName, key],
    pendingParams: (taskName, key) => [taskName, key],
    pending: `SELECT * FROM ${table} WHERE task_name = $1::text AND unique_key = $2::text AND ${PENDING}`,
    pendingLocked: `SELECT * FROM ${table} WHERE task_name = $1::text AND unique_key = $2::text AND ${PENDING} FOR UPDATE`,
    byId: `SELECT * FROM ${table} WHERE id = $1::text`,
    throttleAcquire: `
      INSERT INTO ${throttles} AS h (task_name, throttle_key, task_id, open_until)
      VALUES ($1::text, $2::text, $3::text, ${afterNow('$4::float8')})
      ON CONFLICT (task_name, throttle_key)
      DO UPDATE SET task_id = EXCLUDED.task_id, open_until = EXCLUDED.open_until WHERE h.open_until <= now()`,
    throttleHolder: `SELECT task_id FROM ${throttles} WHERE task_name = $1::text AND throttle_key = $2::text`,
    throttleRecord: `UPDATE ${throttles} SET task_id = $1::text WHERE task_name = $2::text AND throttle_key = $3::text`,
    closedWindows: `DELETE FROM ${throttles} WHERE open_until <= now()`,
  };
}
