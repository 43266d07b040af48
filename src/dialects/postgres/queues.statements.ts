import type { QueueStatements } from '../queue-statements.interface';

/** The named statements of paused queues on PostgreSQL, for `queues` and `results`, the tables in the DataSource's schema. */
export function postgresQueueStatements(queues: string, results: string): QueueStatements {
  const upsert = (paused: boolean) => `
    INSERT INTO ${queues} (name, paused, updated_at) VALUES ($1::text, ${paused}, now())
    ON CONFLICT (name) DO UPDATE SET paused = ${paused}, updated_at = now()`;
  return {
    pause: upsert(true),
    resume: upsert(false),
    list: `SELECT name, paused FROM ${queues} ORDER BY name`,
    counts: `SELECT queue_name, status, count(*)::int AS count FROM ${results} GROUP BY queue_name, status`,
  };
}
