import type { SparedAttempts } from '../task-dialect.interface';

/** The expired rows (as the dialects' `expired` statements read them) that are not `spared`'s. */
export function notSpared<R extends { id: string; claimed_by: string }>(rows: R[], spared: (() => SparedAttempts) | undefined): R[] {
  if (!spared || rows.length === 0) return rows;
  const { workerId, ids, claiming } = spared();
  return rows.filter((row) => row.claimed_by !== workerId || !(claiming || ids.has(row.id)));
}
