import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { TASKS_MIGRATIONS } from 'nestjs-tasks';

/**
 * TypeORM options of the sample, from the environment:
 * - `DB=sqlite` (default): the SQLite file `SQLITE_FILE`, default `.tmp/sample.sqlite`;
 * - `DB=postgres`: PostgreSQL at 127.0.0.1:5432, user postgres, database test;
 * - `DB=mysql`: MySQL/MariaDB at 127.0.0.1:3306, user root, empty password, database test.
 * `DATABASE_URL` replaces the server defaults of postgres and mysql.
 */
export function databaseOptions(env: NodeJS.ProcessEnv = process.env): TypeOrmModuleOptions {
  // The migrations create (and later update) the task_results table.
  const common = { autoLoadEntities: true, migrations: TASKS_MIGRATIONS, migrationsRun: true, logging: false } as const;
  const db = (env.DB ?? 'sqlite').toLowerCase();
  switch (db) {
    case 'sqlite': {
      const database = resolve(env.SQLITE_FILE ?? '.tmp/sample.sqlite');
      mkdirSync(dirname(database), { recursive: true });
      // WAL lets the API read while a worker process writes.
      return { type: 'better-sqlite3', database, enableWAL: true, ...common };
    }
    case 'postgres':
      return env.DATABASE_URL
        ? { type: 'postgres', url: env.DATABASE_URL, ...common }
        : { type: 'postgres', host: '127.0.0.1', port: 5432, username: 'postgres', password: '', database: 'test', ...common };
    case 'mysql':
      return env.DATABASE_URL
        ? { type: 'mysql', url: env.DATABASE_URL, ...common }
        : { type: 'mysql', host: '127.0.0.1', port: 3306, username: 'root', password: '', database: 'test', ...common };
    default:
      throw new Error(`DB must be sqlite, postgres or mysql, got "${env.DB}".`);
  }
}

/** One line naming the database of `options`, for start-up messages (no password). */
export function describeDatabase(options: DataSourceOptions): string {
  if (options.type === 'better-sqlite3') return `SQLite file ${options.database}`;
  if ('url' in options && options.url) return `${options.type} (DATABASE_URL)`;
  const { host, port, database } = options as { host?: string; port?: number; database?: string };
  return `${options.type} at ${host}:${port}/${database}`;
}
