import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * task_results.trace_context: the W3C `traceparent` of the span that enqueued a task, so that
 * each of its attempts, in whichever worker process, continues the enqueuer's trace. Nullable:
 * rows enqueued without a recording span (no OpenTelemetry SDK) leave it empty.
 */
export class TaskTracing1765411200000 implements MigrationInterface {
  name = 'TaskTracing1765411200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { type } = queryRunner.connection.driver.options;
    const column = type === 'mysql' || type === 'mariadb' ? 'varchar(255) CHARACTER SET ascii COLLATE ascii_bin NULL' : 'varchar(255)';
    await queryRunner.query(`ALTER TABLE ${tableOf(queryRunner)} ADD COLUMN trace_context ${column}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE ${tableOf(queryRunner)} DROP COLUMN trace_context`);
  }
}

function tableOf(queryRunner: QueryRunner): string {
  const { type, schema } = queryRunner.connection.driver.options as { type: string; schema?: string };
  return type === 'postgres' && schema ? `"${schema.replace(/"/g, '""')}".task_results` : 'task_results';
}
