import type { Logger } from '@nestjs/common';
import type { ClaimedTask, ClaimRequest, TaskDialect } from '../dialects/task-dialect.interface';
import { parseJsonColumn } from '../dialects/shared/task-row.mapper';
import type { TaskRegistry } from '../task.registry';
import type { LimitPlan } from './limit-plan';
import { claimLimited } from './limited-claim';
import { concurrencyKeyOf } from './task-limits';

/**
 * How many of this worker's tasks of a queue are RUNNING in the database: claimed, their outcome
 * not yet committed (a lower bound of the queue's RUNNING count, whatever other workers do).
 */
export type HeldCount = (queue: string) => number;

/**
 * A worker's claims under its limits: each governed queue by a limited claim of its own, then
 * the other queues by the plain claim, unchanged. A worker with no governed queue claims exactly
 * as before, one statement per claim.
 */
export class ClaimRouter {
  /** Where the next round starts among the governed queues, so each gets first pick in turn. */
  private next = 0;
  /**
   * Governed queues whose last claim came short (at a limit, or empty), until when they are left
   * out of the rounds: a saturated queue would otherwise cost every round of the worker a
   * transaction that finds nothing. A finish or an enqueue in the queue ends the wait.
   */
  private readonly quiet = new Map<string, number>();

  constructor(
    private readonly dialect: TaskDialect,
    private readonly plan: LimitPlan,
    private readonly registry: TaskRegistry,
    private readonly logger: Logger,
    private readonly pollInterval: number,
  ) {}

  /** Whether any queue is claimed under limits: only then does the worker count what it holds per queue. */
  get limited(): boolean {
    return this.plan.governed.length > 0;
  }

  /** Something changed in `queue` (null: in some queue): its next round tries it again. */
  nudge(queue: string | null): void {
    if (queue === null) this.quiet.clear();
    else this.quiet.delete(queue);
  }

  /**
   * Up to `request.limit` tasks; of governed queues at most `freeSlots`, since a task claimed ahead
   * of a free slot would hold a place under the limit without running. A queue whose
   * `globalConcurrency` this worker's own tasks fill is not tried: no claim can take one of its
   * tasks before one of them is written, which nudges it.
   */
  async claim(request: ClaimRequest, freeSlots: number, held: HeldCount): Promise<ClaimedTask[]> {
    const { governed, plain, except } = this.plan;
    if (governed.length === 0) return this.dialect.claim(request);
    const tasks: ClaimedTask[] = [];
    const start = this.next++ % governed.length;
    for (let i = 0; i < governed.length; i++) {
      const budget = Math.min(request.limit, freeSlots) - tasks.length;
      if (budget <= 0) break;
      const queue = governed[(start + i) % governed.length];
      if ((this.quiet.get(queue.name) ?? 0) > performance.now()) continue;
      const { globalConcurrency } = queue.limits;
      if (globalConcurrency !== undefined && held(queue.name) >= globalConcurrency) continue;
      const claimed = await claimLimited(this.dialect, queue, {
        workerId: request.workerId, limit: budget, leaseMs: request.leaseMs, keyOf: (row) => this.keyOf(row),
      });
      if (claimed.length < budget) this.quiet.set(queue.name, performance.now() + this.pollInterval);
      tasks.push(...claimed);
    }
    const left = request.limit - tasks.length;
    if (left > 0 && (plain === null || plain.length > 0)) {
      tasks.push(...await this.dialect.claim({ ...request, queues: plain, limit: left, except }));
    }
    return tasks;
  }

  /**
   * The key of a row about to be claimed, from its stored arguments. Checked at enqueue; a row the
   * function now refuses (stored by another version, or a pipe step's received value) counts
   * under the empty key rather than fail a task that the limit only orders.
   */
  private keyOf(row: Record<string, unknown>): string {
    const name = row.task_name as string;
    const limit = this.registry.get(name)?.limit;
    if (!limit) return '';
    try {
      const args = parseJsonColumn(row.args) as unknown[];
      const kwargs = parseJsonColumn(row.kwargs) as Record<string, unknown> | null;
      const hasKwargs = kwargs !== null && typeof kwargs === 'object' && Object.keys(kwargs).length > 0;
      return concurrencyKeyOf(name, limit, Array.isArray(args) ? args : [], hasKwargs ? kwargs : undefined) ?? '';
    } catch (error) {
      this.logger.warn(`Task ${row.id as string} (${name}) counts under the empty concurrency key: ${(error as Error).message}`);
      return '';
    }
  }
}
