import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Unique tasks: `unique_key` on `task_results`, and a unique index that holds a key only while
 * its task is pending (READY or WAITING) and not yet claimed by a worker (no `last_attempted_at`,
 * which a claim sets and nothing clears), so that concurrent enqueues of one key from any number
 * of processes leave one pending task, and a claimed task frees its key for one follow-up for
 * good: its retries go back to READY outside the index, where they cannot collide with it.
 * PostgreSQL and SQLite index the pending rows (a partial index); MySQL/MariaDB have none, so a
 * stored generated column repeats the key while the task is pending and is NULL otherwise (a
 * unique index admits any number of NULLs). `task_throttles` records, per task name and key,
 * the last accepted enqueue and until when its window is open: outside `task_results`, so that
 * pruning finished results does not reopen a window.
 */
export class UniqueTasks1765152000000 implements MigrationInterface {
  name = 'UniqueTasks1765152000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of upStatements(queryRunner)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { type, prefix } = names(queryRunner);
    await queryRunner.query(`DROP TABLE ${prefix}task_throttles`);
    if (type === 'mysql' || type === 'mariadb') {
      await queryRunner.query('ALTER TABLE task_results DROP INDEX task_results_pending_key_idx, DROP COLUMN pending_key, DROP COLUMN unique_key');
      return;
    }
    await queryRunner.query(`DROP INDEX ${prefix}task_results_pending_key_idx`);
    await queryRunner.query(`ALTER TABLE ${prefix}task_results DROP COLUMN unique_key`);
  }
}

function names(queryRunner: QueryRunner): { type: string; prefix: string } {
  const { type, schema } = queryRunner.connection.driver.options as { type: string; schema?: string };
  return { type, prefix: type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}".` : '' };
}

function upStatements(queryRunner: QueryRunner): string[] {
  const { type, prefix } = names(queryRunner);
  switch (type) {
    case 'postgres':
      return [
        `ALTER TABLE ${prefix}task_results ADD COLUMN unique_key varchar(255) COLLATE "C"`,
        `CREATE UNIQUE INDEX task_results_pending_key_idx ON ${prefix}task_results (task_name, unique_key)
           WHERE unique_key IS NOT NULL AND status IN ('READY', 'WAITING') AND last_attempted_at IS NULL`,
        `CREATE TABLE ${prefix}task_throttles (
           task_name varchar(255) NOT NULL,
           throttle_key varchar(255) COLLATE "C" NOT NULL,
           task_id varchar(36) COLLATE "C" NOT NULL,
           open_until timestamptz(3) NOT NULL,
           PRIMARY KEY (task_name, throttle_key)
         )`,
      ];
    case 'mysql':
    case 'mariadb':
      // Binary keys: a _bin collation pads spaces, so 'a' and 'a ' would be one key. The task name
      // is inside pending_key (name, NUL, key: keys have no NUL, so the split is unambiguous)
      // rather than a column of the index, so that the entry of every row without a key, which
      // InnoDB indexes too, is a NULL and the id, not the task name.
      return [
        `ALTER TABLE task_results
           ADD COLUMN unique_key varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
           ADD COLUMN pending_key varbinary(2041)
             AS (IF(status IN ('READY', 'WAITING') AND last_attempted_at IS NULL,
                    CONCAT(CAST(task_name AS BINARY), 0x00, CAST(unique_key AS BINARY)), NULL)) STORED,
           ADD UNIQUE KEY task_results_pending_key_idx (pending_key)`,
        `CREATE TABLE task_throttles (
           task_name varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
           throttle_key varbinary(1020) NOT NULL,
           task_id char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
           open_until datetime(3) NOT NULL,
           PRIMARY KEY (task_name, throttle_key)
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      ];
    case 'better-sqlite3':
    case 'sqlite':
      return [
        'ALTER TABLE task_results ADD COLUMN unique_key varchar(255)',
        `CREATE UNIQUE INDEX task_results_pending_key_idx ON task_results (task_name, unique_key)
           WHERE unique_key IS NOT NULL AND status IN ('READY', 'WAITING') AND last_attempted_at IS NULL`,
        `CREATE TABLE task_throttles (
           task_name varchar(255) NOT NULL,
           throttle_key varchar(255) NOT NULL,
           task_id varchar(36) NOT NULL,
           open_until datetime NOT NULL,
           PRIMARY KEY (task_name, throttle_key)
         )`,
      ];
    default:
      throw new Error(`nestjs-tasks supports better-sqlite3, postgres, mysql and mariadb; this DataSource is ${type}.`);
  }
}
