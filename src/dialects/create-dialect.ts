import type { DataSource } from 'typeorm';
import { TasksError } from '../task.errors';
import type { TaskDialect } from './task-dialect.interface';
import { SqliteDialect } from './sqlite.dialect';
import { PostgresDialect } from './postgres.dialect';
import { MysqlDialect } from './mysql.dialect';

/** The dialects import only types from their drivers: the DataSource has loaded the one in use. */
export function createDialect(dataSource: DataSource): TaskDialect {
  const type = dataSource.options.type;
  switch (type) {
    case 'better-sqlite3':
      return new SqliteDialect(dataSource);
    case 'postgres':
      return new PostgresDialect(dataSource);
    case 'mysql':
    case 'mariadb':
      return new MysqlDialect(dataSource);
    default:
      throw new TasksError(`nestjs-tasks supports better-sqlite3, postgres, mysql and mariadb DataSources; this one is ${type}.`);
  }
}
