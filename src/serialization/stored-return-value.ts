import type { ValueTransformer } from 'typeorm';

/**
 * The `return_value` column holds the value inside a one-element JSON array. Drivers hand JSON
 * columns back differently (pg and mysql2 parse them, better-sqlite3 returns text, and TypeORM
 * parses again any string it gets from a MySQL JSON column), so a value stored bare that is
 * itself a string ("42", "true", '{"a":1}') could be parsed once too often and come back as
 * another type. An array is never a string: whoever parses it, every reader gets the same
 * array back and takes its element.
 */
export function storedReturnValue(json: string): string {
  return `[${json}]`;
}

/** The value of a `return_value` column as the driver returned it (parsed or text); null for SQL NULL. */
export function readStoredReturnValue(column: unknown): unknown {
  if (column === null || column === undefined) return null;
  const stored = typeof column === 'string' ? JSON.parse(column) : column;
  return Array.isArray(stored) && stored.length === 1 ? stored[0] : stored;
}

/** For the entity: the user's own repositories read and write the value, not its wrapper. */
export const storedReturnValueTransformer: ValueTransformer = {
  to: (value: unknown) => (value === null || value === undefined ? value : [value]),
  from: (column: unknown) => (column === null || column === undefined ? null : readStoredReturnValue(column)),
};
