import type { SparedAttempts } from '../task-dialect.interface';

/** True when an expired row (as the dialects' `expired` statements read it) is one of `spared`'s. */
export function isSpared(row: { id: string; claimed_by: string }, spared: SparedAttempts | undefined): boolean {
  return spared !== undefined && row.claimed_by === spared.workerId && spared.ids.has(row.id);
}
