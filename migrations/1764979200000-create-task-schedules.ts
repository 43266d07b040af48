import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Periodic tasks: the task_schedules table (one row per schedule, its next tick claimed by a
 * compare-and-set on next_run_at) and task_results.scheduled_at, the tick a run was enqueued for.
 * Native types per database, as in the first migration; the index serves the schedulers' one
 * query, the unpaused schedules in next_run_at order.
 */
export class CreateTaskSchedules1764979200000 implements MigrationInterface {
  name = 'CreateTaskSchedules1764979200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { type, schema } = queryRunner.connection.driver.options as { type: string; schema?: string };
    const prefix = type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}".` : '';
    for (const statement of upStatements(type, prefix)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { type, schema } = queryRunner.connection.driver.options as { type: string; schema?: string };
    const prefix = type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}".` : '';
    await queryRunner.query(`DROP TABLE ${prefix}task_schedules`);
    await queryRunner.query(`ALTER TABLE ${prefix}task_results DROP COLUMN scheduled_at`);
  }
}

function upStatements(type: string, prefix: string): string[] {
  switch (type) {
    case 'postgres':
      return [
        `CREATE TABLE ${prefix}task_schedules (
          id varchar(255) COLLATE "C" PRIMARY KEY,
          task_name varchar(255) NOT NULL,
          is_static boolean NOT NULL DEFAULT false,
          cron varchar(255) NOT NULL,
          time_zone varchar(64) NOT NULL,
          args jsonb NOT NULL,
          queue_name varchar(255),
          priority smallint,
          backfill bigint NOT NULL DEFAULT 0,
          overlap boolean NOT NULL DEFAULT true,
          paused boolean NOT NULL DEFAULT false,
          next_run_at timestamptz(3) NOT NULL,
          last_run_at timestamptz(3),
          last_task_id varchar(36),
          created_at timestamptz(3) NOT NULL,
          updated_at timestamptz(3) NOT NULL
        )`,
        `CREATE INDEX task_schedules_due_idx ON ${prefix}task_schedules (next_run_at) WHERE NOT paused`,
        `ALTER TABLE ${prefix}task_results ADD COLUMN scheduled_at timestamptz(3)`,
      ];
    case 'mysql':
    case 'mariadb':
      return [
        `CREATE TABLE task_schedules (
          id varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
          task_name varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
          is_static tinyint(1) NOT NULL DEFAULT 0,
          cron varchar(255) NOT NULL,
          time_zone varchar(64) NOT NULL,
          args json NOT NULL,
          queue_name varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
          priority smallint NULL,
          backfill bigint NOT NULL DEFAULT 0,
          overlap tinyint(1) NOT NULL DEFAULT 1,
          paused tinyint(1) NOT NULL DEFAULT 0,
          next_run_at datetime(3) NOT NULL,
          last_run_at datetime(3) NULL,
          last_task_id char(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
          created_at datetime(3) NOT NULL,
          updated_at datetime(3) NOT NULL,
          PRIMARY KEY (id),
          KEY task_schedules_due_idx (paused, next_run_at)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
        'ALTER TABLE task_results ADD COLUMN scheduled_at datetime(3) NULL',
      ];
    case 'better-sqlite3':
    case 'sqlite':
      return [
        `CREATE TABLE task_schedules (
          id varchar(255) PRIMARY KEY NOT NULL,
          task_name varchar(255) NOT NULL,
          is_static boolean NOT NULL DEFAULT 0,
          cron varchar(255) NOT NULL,
          time_zone varchar(64) NOT NULL,
          args json NOT NULL,
          queue_name varchar(255),
          priority integer,
          backfill integer NOT NULL DEFAULT 0,
          overlap boolean NOT NULL DEFAULT 1,
          paused boolean NOT NULL DEFAULT 0,
          next_run_at datetime NOT NULL,
          last_run_at datetime,
          last_task_id varchar(36),
          created_at datetime NOT NULL,
          updated_at datetime NOT NULL
        )`,
        'CREATE INDEX task_schedules_due_idx ON task_schedules (next_run_at) WHERE NOT paused',
        'ALTER TABLE task_results ADD COLUMN scheduled_at datetime',
      ];
    default:
      throw new Error(`nestjs-tasks supports better-sqlite3, postgres, mysql and mariadb; this DataSource is ${type}.`);
  }
}
