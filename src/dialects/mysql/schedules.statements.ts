import type { ScheduleStatements } from '../schedule-dialect.interface';

/** The database's clock, in UTC whatever the session's time zone. */
const NOW = 'UTC_TIMESTAMP(3)';
/** Dates as ISO text in UTC: mysql2 would read DATETIME in the process's time zone. */
const iso = (column: string) => `DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%fZ') AS ${column}`;
const COLUMNS = `id, task_name, is_static, cron, time_zone, args, queue_name, priority, backfill, overlap, paused,
  ${['next_run_at', 'last_run_at', 'created_at', 'updated_at'].map(iso).join(', ')}, last_task_id`;

/** The named statements of periodic tasks on MySQL/MariaDB (see ScheduleStatements for the parameters). */
export const MYSQL_SCHEDULES: ScheduleStatements = {
  upcoming: `
    SELECT ${COLUMNS}, DATE_FORMAT(${NOW}, '%Y-%m-%dT%H:%i:%s.%fZ') AS db_now FROM task_schedules
     WHERE paused = 0 AND task_name IN (?)
     ORDER BY next_run_at LIMIT ?`,
  find: `SELECT ${COLUMNS} FROM task_schedules WHERE id = ?`,
  list: `SELECT ${COLUMNS} FROM task_schedules ORDER BY id`,
  insert: `
    INSERT INTO task_schedules (id, task_name, is_static, cron, time_zone, args, queue_name, priority, backfill, overlap,
                                paused, next_run_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ${NOW}, ${NOW})
    ON DUPLICATE KEY UPDATE id = id`,
  // Assignments run left to right on MySQL: next_run_at first, while cron and time_zone are still the old ones.
  update: `
    UPDATE task_schedules
       SET next_run_at = CASE WHEN cron <> ? OR time_zone <> ? THEN ? ELSE next_run_at END,
           task_name = ?, cron = ?, time_zone = ?, args = ?, queue_name = ?, priority = ?, backfill = ?, overlap = ?,
           updated_at = ${NOW}
     WHERE id = ?`,
  remove: 'DELETE FROM task_schedules WHERE id = ?',
  pause: `UPDATE task_schedules SET paused = 1, updated_at = ${NOW} WHERE id = ?`,
  resume: `UPDATE task_schedules SET paused = 0, next_run_at = ?, updated_at = ${NOW} WHERE id = ? AND paused = 1`,
  advance: `UPDATE task_schedules SET next_run_at = ?, updated_at = ${NOW} WHERE id = ? AND next_run_at = ? AND paused = 0`,
  fire: `
    UPDATE task_schedules SET next_run_at = ?, last_run_at = ?, last_task_id = ?, updated_at = ${NOW}
     WHERE id = ? AND next_run_at = ? AND paused = 0`,
  triggered: `UPDATE task_schedules SET last_run_at = ?, last_task_id = ?, updated_at = ${NOW} WHERE id = ?`,
  markScheduled: 'UPDATE task_results SET scheduled_at = ?, metadata = ? WHERE id = ?',
  taskStatus: 'SELECT status FROM task_results WHERE id = ?',
};
