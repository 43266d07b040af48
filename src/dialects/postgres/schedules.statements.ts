import type { ScheduleStatements } from '../schedule-dialect.interface';

/**
 * The named statements of periodic tasks on PostgreSQL (see ScheduleStatements for the
 * parameters), for `schedules` and `results`, the tables in the DataSource's schema.
 */
export function postgresScheduleStatements(schedules: string, results: string): ScheduleStatements {
  return {
    upcoming: `
      SELECT *, now() AS db_now FROM ${schedules}
       WHERE NOT paused AND task_name = ANY($1::text[])
       ORDER BY next_run_at LIMIT $2::int`,
    find: `SELECT * FROM ${schedules} WHERE id = $1::text`,
    list: `SELECT * FROM ${schedules} ORDER BY id`,
    insert: `
      INSERT INTO ${schedules} (id, task_name, is_static, cron, time_zone, args, queue_name, priority, backfill, overlap,
                                paused, next_run_at, created_at, updated_at)
      VALUES ($1::text, $2::text, $3::bool, $4::text, $5::text, $6::jsonb, $7::text, $8::smallint, $9::bigint, $10::bool,
              false, $11::timestamptz, now(), now())
      ON CONFLICT (id) DO NOTHING`,
    update: `
      UPDATE ${schedules}
         SET next_run_at = CASE WHEN cron <> $1::text OR time_zone <> $2::text THEN $3::timestamptz ELSE next_run_at END,
             task_name = $4::text, cron = $5::text, time_zone = $6::text, args = $7::jsonb, queue_name = $8::text,
             priority = $9::smallint, backfill = $10::bigint, overlap = $11::bool, updated_at = now()
       WHERE id = $12::text`,
    remove: `DELETE FROM ${schedules} WHERE id = $1::text`,
    pause: `UPDATE ${schedules} SET paused = true, updated_at = now() WHERE id = $1::text`,
    resume: `UPDATE ${schedules} SET paused = false, next_run_at = $1::timestamptz, updated_at = now() WHERE id = $2::text AND paused`,
    advance: `
      UPDATE ${schedules} SET next_run_at = $1::timestamptz, updated_at = now()
       WHERE id = $2::text AND next_run_at = $3::timestamptz AND NOT paused`,
    fire: `
      UPDATE ${schedules} SET next_run_at = $1::timestamptz, last_run_at = $2::timestamptz, last_task_id = $3::text, updated_at = now()
       WHERE id = $4::text AND next_run_at = $5::timestamptz AND NOT paused`,
    triggered: `UPDATE ${schedules} SET last_run_at = $1::timestamptz, last_task_id = $2::text, updated_at = now() WHERE id = $3::text`,
    markScheduled: `UPDATE ${results} SET scheduled_at = $1::timestamptz, metadata = $2::jsonb WHERE id = $3::text`,
    taskStatus: `SELECT status FROM ${results} WHERE id = $1::text`,
  };
}
