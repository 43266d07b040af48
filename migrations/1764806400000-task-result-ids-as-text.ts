import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * On PostgreSQL, `task_results.id` becomes `varchar(36)` like the entity declares and like the
 * other databases store it. As `uuid`, a malformed id in an application's own query
 * (`findOneBy({ id: 'nope' })`) failed with "invalid input syntax for type uuid" instead of
 * finding nothing. The "C" collation keeps the ids' order that of the UUIDv7 bytes (creation
 * time), and comparisons as cheap as byte comparisons. Other databases already store text.
 */
export class TaskResultIdsAsText1764806400000 implements MigrationInterface {
  name = 'TaskResultIdsAsText1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = postgresTable(queryRunner);
    if (table) await queryRunner.query(`ALTER TABLE ${table} ALTER COLUMN id TYPE varchar(36) COLLATE "C" USING id::text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = postgresTable(queryRunner);
    if (table) await queryRunner.query(`ALTER TABLE ${table} ALTER COLUMN id TYPE uuid USING id::uuid`);
  }
}

/** The table on PostgreSQL (in the DataSource's `schema` when it names one), else null. */
function postgresTable(queryRunner: QueryRunner): string | null {
  const { type, schema } = queryRunner.connection.driver.options as { type: string; schema?: string };
  if (type !== 'postgres') return null;
  return schema ? `"${schema.replace(/"/g, '""')}".task_results` : 'task_results';
}
