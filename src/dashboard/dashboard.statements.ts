import type { DataSource } from 'typeorm';

/**
 * The few SQL expressions the dashboard's queries need that differ between databases. Times
 * are computed by the database's clock, as everywhere in the library; parameters are named
 * (`:name`) for TypeORM's query builder.
 */
export interface DashboardStatements {
  /** The JSON column `column` as text, for a LIKE over it. */
  jsonText(column: string): string;
  /** The time `:windowSeconds` seconds before now. */
  windowStart: string;
  /** Which `:bucketSeconds`-long bucket before now `column` falls in (0: the latest). */
  bucket(column: string): string;
  /** Milliseconds from `from` to `to`. */
  millisBetween(from: string, to: string): string;
  /** `date` as a parameter compared with a time column. */
  time(date: Date): Date | string;
}

/** UTC as SQLite's and MySQL's columns hold it: the session's time zone is never involved. */
const utcText = (date: Date) => date.toISOString().replace('T', ' ').replace('Z', '');

const SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')";

const sqlite: DashboardStatements = {
  jsonText: (column) => column,
  windowStart: `strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || :windowSeconds || ' seconds')`,
  bucket: (column) => `CAST((julianday(${SQLITE_NOW}) - julianday(${column})) * 86400 / :bucketSeconds AS INTEGER)`,
  millisBetween: (from, to) => `(julianday(${to}) - julianday(${from})) * 86400000`,
  time: utcText,
};

const postgres: DashboardStatements = {
  jsonText: (column) => `CAST(${column} AS text)`,
  windowStart: 'now() - make_interval(secs => :windowSeconds)',
  bucket: (column) => `floor(extract(epoch from (now() - ${column})) / :bucketSeconds)`,
  millisBetween: (from, to) => `extract(epoch from (${to} - ${from})) * 1000`,
  time: (date) => date,
};

// DATETIME columns hold UTC (the library writes them so): compared with UTC_TIMESTAMP, never with NOW().
const mysql: DashboardStatements = {
  jsonText: (column) => `CAST(${column} AS CHAR)`,
  windowStart: 'UTC_TIMESTAMP(3) - INTERVAL :windowSeconds SECOND',
  bucket: (column) => `FLOOR(TIMESTAMPDIFF(MICROSECOND, ${column}, UTC_TIMESTAMP(3)) / 1000000 / :bucketSeconds)`,
  millisBetween: (from, to) => `TIMESTAMPDIFF(MICROSECOND, ${from}, ${to}) / 1000`,
  time: utcText,
};

export function dashboardStatements(dataSource: DataSource): DashboardStatements {
  switch (dataSource.options.type as string) {
    case 'postgres':
      return postgres;
    case 'mysql':
    case 'mariadb':
      return mysql;
    default:
      return sqlite;
  }
}
