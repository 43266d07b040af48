import type { OperationsDialect } from '../dialects/operations-dialect.interface';
import { TaskResultStatus } from '../task-result-status.enum';

export type RunNowOutcome =
  /** `moved` is false when the task was already due: nothing changed. */
  | { kind: 'due'; queue: string; moved: boolean }
  | { kind: 'missing' }
  | { kind: 'not-ready'; status: TaskResultStatus };

/**
 * A READY task scheduled for later (a delayed enqueue, a retry backing off) becomes due now, on
 * the database's clock, with its row locked so that no claim or cancel slips between the check
 * of its status and the move.
 */
export function runTaskNow(db: OperationsDialect, id: string): Promise<RunNowOutcome> {
  const sql = db.statements;
  return db.transaction(async (tx) => {
    const [row] = await tx.all(sql.lockTask, [id]);
    if (!row) return { kind: 'missing' };
    const status = row.status as TaskResultStatus;
    if (status !== TaskResultStatus.READY) return { kind: 'not-ready', status };
    return { kind: 'due', queue: String(row.queue_name), moved: (await tx.run(sql.runNow, [id])) > 0 };
  });
}
