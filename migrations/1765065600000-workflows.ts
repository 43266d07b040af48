import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workflows: the edges between a task and the tasks it depends on (`task_dependencies`), and on
 * `task_results` what a dependent needs to be released in the transaction that finishes its
 * last dependency: how many dependencies are still unfinished, what to do when one fails, whether
 * it receives their values as its first argument (a `pipe()` step or chord callback), the delay
 * that counts from its release, and a flag on a dependency that has dependents, so that finishing
 * a task that has none stays one statement. `group_id` and `group_position` place a task in a
 * group or chain; `metadata` is the user's own JSON object.
 */
export class Workflows1765065600000 implements MigrationInterface {
  name = 'Workflows1765065600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of upStatements(queryRunner)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { type, table, edges } = names(queryRunner);
    await queryRunner.query(`DROP TABLE ${edges}`);
    if (type === 'mysql' || type === 'mariadb') await queryRunner.query(`ALTER TABLE ${table} DROP INDEX task_results_group_idx`);
    else await queryRunner.query(`DROP INDEX ${type === 'postgres' ? schemaPrefix(queryRunner) : ''}task_results_group_idx`);
    for (const column of COLUMNS) await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN ${column}`);
  }
}

const COLUMNS = ['group_id', 'group_position', 'metadata', 'pending_dependencies', 'on_dependency_failure', 'pipe',
  'release_delay_ms', 'has_dependents'];

function schemaPrefix(queryRunner: QueryRunner): string {
  const { schema } = queryRunner.connection.driver.options as { schema?: string };
  return schema ? `"${schema.replace(/"/g, '""')}".` : '';
}

function names(queryRunner: QueryRunner): { type: string; table: string; edges: string } {
  const { type } = queryRunner.connection.driver.options as { type: string };
  const prefix = type === 'postgres' ? schemaPrefix(queryRunner) : '';
  return { type, table: `${prefix}task_results`, edges: `${prefix}task_dependencies` };
}

function upStatements(queryRunner: QueryRunner): string[] {
  const { type, table, edges } = names(queryRunner);
  switch (type) {
    case 'postgres':
      return [
        `ALTER TABLE ${table}
           ADD COLUMN group_id varchar(36) COLLATE "C",
           ADD COLUMN group_position integer,
           ADD COLUMN metadata jsonb,
           ADD COLUMN pending_dependencies integer NOT NULL DEFAULT 0,
           ADD COLUMN on_dependency_failure varchar(8) NOT NULL DEFAULT 'cancel',
           ADD COLUMN pipe smallint NOT NULL DEFAULT 0,
           ADD COLUMN release_delay_ms integer,
           ADD COLUMN has_dependents boolean NOT NULL DEFAULT false`,
        `CREATE INDEX task_results_group_idx ON ${table} (group_id, group_position) WHERE group_id IS NOT NULL`,
        `CREATE TABLE ${edges} (
           task_id varchar(36) COLLATE "C" NOT NULL,
           depends_on_id varchar(36) COLLATE "C" NOT NULL,
           position integer NOT NULL,
           PRIMARY KEY (task_id, position)
         )`,
        `CREATE INDEX task_dependencies_depends_on_idx ON ${edges} (depends_on_id)`,
      ];
    case 'mysql':
    case 'mariadb':
      return [
        `ALTER TABLE task_results
           ADD COLUMN group_id char(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
           ADD COLUMN group_position int NULL,
           ADD COLUMN metadata json NULL,
           ADD COLUMN pending_dependencies int NOT NULL DEFAULT 0,
           ADD COLUMN on_dependency_failure varchar(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'cancel',
           ADD COLUMN pipe smallint NOT NULL DEFAULT 0,
           ADD COLUMN release_delay_ms int NULL,
           ADD COLUMN has_dependents tinyint(1) NOT NULL DEFAULT 0,
           ADD KEY task_results_group_idx (group_id, group_position)`,
        `CREATE TABLE task_dependencies (
           task_id char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
           depends_on_id char(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
           position int NOT NULL,
           PRIMARY KEY (task_id, position),
           KEY task_dependencies_depends_on_idx (depends_on_id)
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      ];
    case 'better-sqlite3':
    case 'sqlite':
      return [
        'ALTER TABLE task_results ADD COLUMN group_id varchar(36)',
        'ALTER TABLE task_results ADD COLUMN group_position integer',
        'ALTER TABLE task_results ADD COLUMN metadata json',
        'ALTER TABLE task_results ADD COLUMN pending_dependencies integer NOT NULL DEFAULT 0',
        "ALTER TABLE task_results ADD COLUMN on_dependency_failure varchar(8) NOT NULL DEFAULT 'cancel'",
        'ALTER TABLE task_results ADD COLUMN pipe integer NOT NULL DEFAULT 0',
        'ALTER TABLE task_results ADD COLUMN release_delay_ms integer',
        'ALTER TABLE task_results ADD COLUMN has_dependents boolean NOT NULL DEFAULT 0',
        'CREATE INDEX task_results_group_idx ON task_results (group_id, group_position) WHERE group_id IS NOT NULL',
        `CREATE TABLE task_dependencies (
           task_id varchar(36) NOT NULL,
           depends_on_id varchar(36) NOT NULL,
           position integer NOT NULL,
           PRIMARY KEY (task_id, position)
         )`,
        'CREATE INDEX task_dependencies_depends_on_idx ON task_dependencies (depends_on_id)',
      ];
    default:
      throw new Error(`nestjs-tasks supports better-sqlite3, postgres, mysql and mariadb; this DataSource is ${type}.`);
  }
}
