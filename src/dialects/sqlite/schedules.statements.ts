import type { ScheduleStatements } from '../schedule-dialect.interface';

const NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

/** The named statements of periodic tasks on SQLite (see ScheduleStatements for the parameters). */
export const SQLITE_SCHEDULES: ScheduleStatements = {
  upcoming: `
    SELECT *, ${NOW} AS db_now FROM task_schedules
     WHERE NOT paused AND task_name IN (SELECT value FROM json_each(?))
     ORDER BY next_run_at LIMIT ?`,
  find: 'SELECT * FROM task_schedules WHERE id = ?',
  list: 'SELECT * FROM task_schedules ORDER BY id',
  insert: `
    INSERT INTO task_schedules (id, task_name, is_static, cron, time_zone, args, queue_name, priority, backfill, overlap,
                                paused, next_run_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ${NOW}, ${NOW})
    ON CONFLICT (id) DO NOTHING`,
  update: `
    UPDATE task_schedules
       SET next_run_at = CASE WHEN cron <> ? OR time_zone <> ? THEN ? ELSE next_run_at END,
           task_name = ?, cron = ?, time_zone = ?, args = ?, queue_name = ?, priority = ?, backfill = ?, overlap = ?,
           updated_at = ${NOW}
     WHERE id = ?`,
  remove: 'DELETE FROM task_schedules WHERE id = ?',
  pause: `UPDATE task_schedules SET paused = 1, updated_at = ${NOW} WHERE id = ?`,
  resume: `UPDATE task_schedules SET paused = 0, next_run_at = ?, updated_at = ${NOW} WHERE id = ? AND paused`,
  advance: `UPDATE task_schedules SET next_run_at = ?, updated_at = ${NOW} WHERE id = ? AND next_run_at = ? AND NOT paused`,
  fire: `
    UPDATE task_schedules SET next_run_at = ?, last_run_at = ?, last_task_id = ?, updated_at = ${NOW}
     WHERE id = ? AND next_run_at = ? AND NOT paused`,
  triggered: `UPDATE task_schedules SET last_run_at = ?, last_task_id = ?, updated_at = ${NOW} WHERE id = ?`,
  markScheduled: 'UPDATE task_results SET scheduled_at = ?, metadata = ? WHERE id = ?',
  taskStatus: 'SELECT status FROM task_results WHERE id = ?',
};
