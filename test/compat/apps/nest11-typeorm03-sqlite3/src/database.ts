import type { TypeOrmModuleOptions } from '@nestjs/typeorm';

/** TypeORM 0.3's `sqlite` type: the `sqlite3` driver. */
export function databaseOptions(): TypeOrmModuleOptions {
  return { type: 'sqlite', database: process.env.SQLITE_FILE ?? 'app.sqlite' };
}
