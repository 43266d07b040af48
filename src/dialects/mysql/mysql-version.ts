/**
 * The oldest servers with everything the dialect's statements use, `FOR UPDATE SKIP LOCKED`
 * first of all (MySQL 8.0.1, MariaDB 10.6). The claim orders by index on every version: its
 * walk reads one priority of one queue at a time (ORDER BY run_after, id), so it needs no
 * descending index, which MariaDB ignores before 10.8.
 */
const MINIMUM = { MySQL: [8, 0, 1], MariaDB: [10, 6, 0] } as const;

/** Why the server of `VERSION()` cannot run the dialect, or null when it can. */
export function unsupportedServer(version: string): string | null {
  const server = /mariadb/i.test(version) ? 'MariaDB' : 'MySQL';
  const found = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!found) return null;
  const parts = found.slice(1).map(Number);
  const minimum = MINIMUM[server];
  for (let index = 0; index < 3; index++) {
    if (parts[index] > minimum[index]) return null;
    if (parts[index] < minimum[index]) {
      return `nestjs-tasks needs ${server} ${minimum.join('.')} or later (FOR UPDATE SKIP LOCKED); this server is ${version}.`;
    }
  }
  return null;
}
