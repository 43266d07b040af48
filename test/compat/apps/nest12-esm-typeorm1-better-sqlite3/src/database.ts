import type { TypeOrmModuleOptions } from '@nestjs/typeorm';

export function databaseOptions(): TypeOrmModuleOptions {
  return { type: 'better-sqlite3', database: process.env.SQLITE_FILE ?? 'app.sqlite' };
}
