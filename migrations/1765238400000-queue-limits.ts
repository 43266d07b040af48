import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Queue limits and paused queues: `task_queues`, one row per queue that was paused or claimed
 * under a limit (its row is what a limited claim locks, so claims of one limited queue take
 * turns while other queues' claims never touch it), with the rate window of `rateLimit`
 * (its start by the database's clock, and how many tasks started in it); and
 * `task_results.concurrency_key`, the key of `@Task({ concurrencyKey })` a limited claim
 * computed for the attempt it started. RUNNING rows are counted through the lease index, which
 * holds every RUNNING row and only those: no new index on task_results, no cost to the plain
 * claim.
 */
export class QueueLimits1765238400000 implements MigrationInterface {
  name = 'QueueLimits1765238400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { type, prefix } = names(queryRunner);
    for (const statement of upStatements(type, prefix)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = names(queryRunner);
    await queryRunner.query(`DROP TABLE ${prefix}task_queues`);
    await queryRunner.query(`ALTER TABLE ${prefix}task_results DROP COLUMN concurrency_key`);
  }
}

function names(queryRunner: QueryRunner): { type: string; prefix: string } {
  const { type, schema } = queryRunner.connection.driver.options as { type: string; schema?: string };
  return { type, prefix: type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}".` : '' };
}

function upStatements(type: string, prefix: string): string[] {
  switch (type) {
    case 'postgres':
      return [
        `CREATE TABLE ${prefix}task_queues (
          name varchar(255) COLLATE "C" PRIMARY KEY,
          paused boolean NOT NULL DEFAULT false,
          rate_window_start timestamptz(3),
          rate_count integer NOT NULL DEFAULT 0,
          updated_at timestamptz(3) NOT NULL
        )`,
        `ALTER TABLE ${prefix}task_results ADD COLUMN concurrency_key varchar(255) COLLATE "C"`,
      ];
    case 'mysql':
    case 'mariadb':
      return [
        `CREATE TABLE task_queues (
          name varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
          paused tinyint(1) NOT NULL DEFAULT 0,
          rate_window_start datetime(3) NULL,
          rate_count int NOT NULL DEFAULT 0,
          updated_at datetime(3) NOT NULL,
          PRIMARY KEY (name)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
        'ALTER TABLE task_results ADD COLUMN concurrency_key varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL',
      ];
    case 'better-sqlite3':
    case 'sqlite':
      return [
        `CREATE TABLE task_queues (
          name varchar(255) PRIMARY KEY NOT NULL,
          paused boolean NOT NULL DEFAULT 0,
          rate_window_start datetime,
          rate_count integer NOT NULL DEFAULT 0,
          updated_at datetime NOT NULL
        )`,
        'ALTER TABLE task_results ADD COLUMN concurrency_key varchar(255)',
      ];
    default:
      throw new Error(`nestjs-tasks supports better-sqlite3, postgres, mysql and mariadb; this DataSource is ${type}.`);
  }
}
