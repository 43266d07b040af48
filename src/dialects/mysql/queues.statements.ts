import type { QueueStatements } from '../queue-statements.interface';

const NOW = 'UTC_TIMESTAMP(3)';
const upsert = (paused: number) => `
  INSERT INTO task_queues (name, paused, updated_at) VALUES (?, ${paused}, ${NOW})
  ON DUPLICATE KEY UPDATE paused = ${paused}, updated_at = ${NOW}`;

/** The named statements of paused queues on MySQL/MariaDB. */
export const MYSQL_QUEUES: QueueStatements = {
  pause: upsert(1),
  resume: upsert(0),
  list: 'SELECT name, paused FROM task_queues ORDER BY name',
  counts: 'SELECT queue_name, status, count(*) AS count FROM task_results GROUP BY queue_name, status',
};
