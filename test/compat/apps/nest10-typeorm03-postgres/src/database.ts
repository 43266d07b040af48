import type { TypeOrmModuleOptions } from '@nestjs/typeorm';

export function databaseOptions(): TypeOrmModuleOptions {
  return { type: 'postgres', url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' };
}
