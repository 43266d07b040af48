import type { TypeOrmModuleOptions } from '@nestjs/typeorm';

export function databaseOptions(): TypeOrmModuleOptions {
  return { type: 'mariadb', url: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test' };
}
