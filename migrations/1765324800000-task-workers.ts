import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The worker registry: one row per running worker, written when it starts, refreshed by its
 * heartbeat and deleted when it stops. `expires_at` is set by each heartbeat on the database's
 * clock (a multiple of that worker's interval ahead), so any worker can delete the rows of dead
 * ones without knowing their intervals.
 */
export class TaskWorkers1765324800000 implements MigrationInterface {
  name = 'TaskWorkers1765324800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { type } = queryRunner.connection.driver.options as { type: string };
    await queryRunner.query(createTable(type, tableName(queryRunner)));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${tableName(queryRunner)}`);
  }
}

function tableName(queryRunner: QueryRunner): string {
  const { type, schema } = queryRunner.connection.driver.options as { type: string; schema?: string };
  return type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}".task_workers` : 'task_workers';
}

function createTable(type: string, table: string): string {
  switch (type) {
    case 'postgres':
      return `CREATE TABLE ${table} (
        id varchar(255) COLLATE "C" PRIMARY KEY,
        host varchar(255) NOT NULL,
        pid integer NOT NULL,
        queues jsonb,
        concurrency integer NOT NULL,
        running integer NOT NULL DEFAULT 0,
        started_at timestamptz(3) NOT NULL,
        heartbeat_at timestamptz(3) NOT NULL,
        expires_at timestamptz(3) NOT NULL
      )`;
    case 'mysql':
    case 'mariadb':
      return `CREATE TABLE task_workers (
        id varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        host varchar(255) NOT NULL,
        pid int NOT NULL,
        queues json NULL,
        concurrency int NOT NULL,
        running int NOT NULL DEFAULT 0,
        started_at datetime(3) NOT NULL,
        heartbeat_at datetime(3) NOT NULL,
        expires_at datetime(3) NOT NULL,
        PRIMARY KEY (id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
    case 'better-sqlite3':
    case 'sqlite':
      return `CREATE TABLE task_workers (
        id varchar(255) PRIMARY KEY NOT NULL,
        host varchar(255) NOT NULL,
        pid integer NOT NULL,
        queues json,
        concurrency integer NOT NULL,
        running integer NOT NULL DEFAULT 0,
        started_at datetime NOT NULL,
        heartbeat_at datetime NOT NULL,
        expires_at datetime NOT NULL
      )`;
    default:
      throw new Error(`nestjs-tasks supports better-sqlite3, postgres, mysql and mariadb; this DataSource is ${type}.`);
  }
}
