import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The task_results table. Each database gets its native types (jsonb and timestamptz on
 * PostgreSQL, JSON and DATETIME(3) on MySQL/MariaDB, TEXT-backed JSON on SQLite) and an index
 * shaped for the claim query: on PostgreSQL and SQLite it is partial (READY rows only), so the
 * claim never walks finished rows however large the table grows.
 */
export class CreateTaskResults1763798400000 implements MigrationInterface {
  name = 'CreateTaskResults1763798400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of createStatements(queryRunner.connection.driver.options.type, tableName(queryRunner))) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${tableName(queryRunner)}`);
  }
}

/** On PostgreSQL, in the DataSource's `schema` when it names one, where the entity is looked for. */
function tableName(queryRunner: QueryRunner): string {
  const { type, schema } = queryRunner.connection.driver.options as { type: string; schema?: string };
  return type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}".task_results` : 'task_results';
}

function createStatements(type: string, table: string): string[] {
  switch (type) {
    case 'postgres':
      return [
        `CREATE TABLE ${table} (
          id uuid PRIMARY KEY,
          task_name varchar(255) NOT NULL,
          status varchar(16) NOT NULL,
          queue_name varchar(255) NOT NULL,
          priority smallint NOT NULL DEFAULT 0,
          args jsonb NOT NULL,
          kwargs jsonb NOT NULL DEFAULT '{}',
          backend varchar(32) NOT NULL,
          run_after timestamptz(3) NOT NULL,
          enqueued_at timestamptz(3) NOT NULL,
          started_at timestamptz(3),
          finished_at timestamptz(3),
          last_attempted_at timestamptz(3),
          max_attempts integer NOT NULL DEFAULT 1,
          attempt integer NOT NULL DEFAULT 0,
          errors jsonb NOT NULL DEFAULT '[]',
          worker_ids jsonb NOT NULL DEFAULT '[]',
          progress jsonb,
          return_value jsonb,
          claimed_by varchar(255),
          lease_expires_at timestamptz(3),
          cancel_requested boolean NOT NULL DEFAULT false
        )`,
        `CREATE INDEX task_results_claim_idx ON ${table} (queue_name, priority DESC, run_after, id) WHERE status = 'READY'`,
        `CREATE INDEX task_results_lease_idx ON ${table} (lease_expires_at) WHERE status = 'RUNNING'`,
        `CREATE INDEX task_results_finished_idx ON ${table} (finished_at) WHERE status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED')`,
      ];
    case 'mysql':
    case 'mariadb':
      // No partial indexes: status leads every index so READY and RUNNING rows stay contiguous.
      // Names compare as on PostgreSQL and SQLite (binary): queues 'Emails' and 'emails' are two,
      // and so are two workers whose ids differ in case only (claimed_by fences outcomes).
      return [
        `CREATE TABLE task_results (
          id char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
          task_name varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
          status varchar(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
          queue_name varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
          priority smallint NOT NULL DEFAULT 0,
          args json NOT NULL,
          kwargs json NOT NULL,
          backend varchar(32) NOT NULL,
          run_after datetime(3) NOT NULL,
          enqueued_at datetime(3) NOT NULL,
          started_at datetime(3) NULL,
          finished_at datetime(3) NULL,
          last_attempted_at datetime(3) NULL,
          max_attempts int NOT NULL DEFAULT 1,
          attempt int NOT NULL DEFAULT 0,
          errors json NOT NULL,
          worker_ids json NOT NULL,
          progress json NULL,
          return_value json NULL,
          claimed_by varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
          lease_expires_at datetime(3) NULL,
          cancel_requested tinyint(1) NOT NULL DEFAULT 0,
          PRIMARY KEY (id),
          KEY task_results_claim_idx (status, queue_name, priority DESC, run_after, id),
          KEY task_results_lease_idx (status, lease_expires_at),
          KEY task_results_finished_idx (status, finished_at)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      ];
    case 'better-sqlite3':
    case 'sqlite':
      return [
        `CREATE TABLE task_results (
          id varchar(36) PRIMARY KEY NOT NULL,
          task_name varchar(255) NOT NULL,
          status varchar(16) NOT NULL,
          queue_name varchar(255) NOT NULL,
          priority integer NOT NULL DEFAULT 0,
          args json NOT NULL,
          kwargs json NOT NULL DEFAULT '{}',
          backend varchar(32) NOT NULL,
          run_after datetime NOT NULL,
          enqueued_at datetime NOT NULL,
          started_at datetime,
          finished_at datetime,
          last_attempted_at datetime,
          max_attempts integer NOT NULL DEFAULT 1,
          attempt integer NOT NULL DEFAULT 0,
          errors json NOT NULL DEFAULT '[]',
          worker_ids json NOT NULL DEFAULT '[]',
          progress json,
          return_value json,
          claimed_by varchar(255),
          lease_expires_at datetime,
          cancel_requested boolean NOT NULL DEFAULT 0
        )`,
        `CREATE INDEX task_results_claim_idx ON task_results (queue_name, priority DESC, run_after, id) WHERE status = 'READY'`,
        `CREATE INDEX task_results_lease_idx ON task_results (lease_expires_at) WHERE status = 'RUNNING'`,
        `CREATE INDEX task_results_finished_idx ON task_results (finished_at) WHERE status IN ('SUCCESSFUL', 'FAILED', 'CANCELLED')`,
      ];
    default:
      throw new Error(`nestjs-tasks supports better-sqlite3, postgres, mysql and mariadb; this DataSource is ${type}.`);
  }
}
