import { MigrationInterface, QueryRunner } from 'typeorm';

const IN_LIST = "CREATE INDEX task_results_finished_idx ON task_results (finished_at) WHERE status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED')";
const NOT_NULL = 'CREATE INDEX task_results_finished_idx ON task_results (finished_at) WHERE finished_at IS NOT NULL';

/**
 * On SQLite, `task_results_finished_idx` keeps finished rows by `finished_at NOT NULL` instead of
 * `status IN (…)`. SQLite evaluates a partial index's condition on every update that changes the
 * status, and an IN list there was evaluated at a cost of up to 0.3 ms per row: most of the
 * write of an outcome. Only finishing statements set `finished_at` (a retry or a reopen clears
 * it), so the index holds the same rows, and the queries by `finished_at <` (pruning) still use it.
 * PostgreSQL keeps its index, MySQL/MariaDB have no partial indexes.
 */
export class SqliteFinishedIndex1765497600000 implements MigrationInterface {
  name = 'SqliteFinishedIndex1765497600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!isSqlite(queryRunner)) return;
    await queryRunner.query('DROP INDEX task_results_finished_idx');
    await queryRunner.query(NOT_NULL);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (!isSqlite(queryRunner)) return;
    await queryRunner.query('DROP INDEX task_results_finished_idx');
    await queryRunner.query(IN_LIST);
  }
}

function isSqlite(queryRunner: QueryRunner): boolean {
  const { type } = queryRunner.connection.driver.options as { type: string };
  return type === 'better-sqlite3' || type === 'sqlite';
}
