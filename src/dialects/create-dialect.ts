import type { DataSource } from 'typeorm';
import { TasksError } from '../task.errors';
import type { TaskDialect } from './task-dialect.interface';
import { SqliteDialect } from './sqlite.dialect';

export function createDialect(dataSource: DataSource): TaskDialect {
  const type = dataSource.options.type;
  switch (type) {
    case 'better-sqlite3':
      return new SqliteDialect(dataSource);
    default:
      throw new TasksError(`nestjs-tasks supports better-sqlite3, postgres, mysql and mariadb DataSources; this one is ${type}.`);
  }
}
