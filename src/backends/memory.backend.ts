import type { TaskResult } from '../entities/task-result.entity';
import type { NewTaskRow, NewWorkflowTask, PruneRequest } from '../dialects/task-dialect.interface';
import { InvalidTaskError, TaskResultNotFoundError, TaskThrottledError } from '../task.errors';
import type { KeyedTask } from '../uniqueness/uniqueness-dialect.interface';
import { findPending, MemoryThrottles, replacePending, throttleSlot } from '../uniqueness/memory-keys';
import { FINISHED_STATUSES, TaskResultStatus } from '../task-result-status.enum';
import { dependencyFailedError, Pipe } from '../dialects/shared/dependents.settle';
import { TaskEvents } from '../task.events';
import type { TaskBackendName } from '../interfaces/tasks-module-options.interface';
import type { TaskEventBus } from '../events/task-event.bus';
import type { TaskEventName } from '../events/task-event.types';
import type { TaskBackend } from './task-backend.interface';
import { newTaskResult } from './new-task-result';
import { resolveTime } from '../core/task-time';
import type { TaskRow } from '../core/task-row';
import { bindTaskResult } from '../entities/task-result.source';

/** Results kept in this process only: for tests and scripts, never for production work. */
export abstract class MemoryBackend implements TaskBackend {
  abstract readonly name: TaskBackendName;
  protected readonly store = new Map<string, TaskResult>();
  /** What the tasks of workflows wait for, as the database's edges and columns hold it. */
  protected readonly links = new Map<string, MemoryLink>();
  private readonly throttles: MemoryThrottles = new Map();

  constructor(
    protected readonly events: TaskEvents,
    protected readonly bus: TaskEventBus,
  ) {}

  /** Every result enqueued so far, oldest first. */
  get results(): TaskResult[] {
    return [...this.store.values()];
  }

  clear(): void {
    this.store.clear();
    this.links.clear();
    this.throttles.clear();
  }

  /** Keys dedupe in memory as the database's unique index does (the immediate backend runs a new task at once). */
  async enqueueKeyed(tasks: KeyedTask[], throttleMs: number | null): Promise<TaskResult[]> {
    const results: TaskResult[] = [];
    for (const task of tasks) {
      const { taskName, uniqueKey } = task.row;
      const slot = throttleSlot(taskName, uniqueKey);
      const window = this.throttles.get(slot);
      if (throttleMs !== null && window && window.openUntil > Date.now()) {
        const accepted = this.store.get(window.taskId);
        if (!accepted) throw new TaskThrottledError(taskName, uniqueKey);
        results.push(this.deduplicated(accepted));
        continue;
      }
      const pending = findPending(this.store.values(), taskName, uniqueKey);
      if (pending && task.replace) replacePending(pending, task, new Date());
      const result = pending ? this.deduplicated(pending) : (await this.enqueue([task.row]))[0];
      if (throttleMs !== null) this.throttles.set(slot, { taskId: result.id, openUntil: Date.now() + throttleMs });
      results.push(result);
    }
    return results;
  }

  async pendingByKey(taskName: string, key: string): Promise<TaskResult | null> {
    return findPending(this.store.values(), taskName, key) ?? null;
  }

  /** A copy marked `deduplicated`: the stored instance is also the one its first enqueue returned. */
  private deduplicated(result: TaskResult): TaskResult {
    const copy = bindTaskResult(Object.assign(Object.create(Object.getPrototypeOf(result)) as TaskResult, result), this);
    copy.deduplicated = true;
    return copy;
  }

  async enqueueWorkflow(tasks: NewWorkflowTask[]): Promise<TaskResult[]> {
    const missing = tasks.flatMap((task) => task.dependsOn).filter((dep): dep is string => typeof dep === 'string' && !this.store.has(dep));
    if (missing.length > 0) throw new InvalidTaskError(`dependsOn: no task ${[...new Set(missing)].join(', ')}.`);
    const results = tasks.map((task) => newTaskResult({ ...task.row, backend: this.name }, this));
    tasks.forEach((task, index) => {
      const result = results[index];
      const dependsOn = task.dependsOn.map((dep) => (typeof dep === 'string' ? dep : results[dep.index].id));
      const deps = dependsOn.map((id) => this.store.get(id)!);
      const link: MemoryLink = {
        dependsOn, dependents: [], policy: task.onDependencyFailure, pipe: task.pipe, releaseDelayMs: task.releaseDelayMs,
        groupId: task.row.groupId ?? null, position: task.row.groupPosition ?? null,
        pending: deps.filter((dep) => !FINISHED_STATUSES.includes(dep.status)).length,
      };
      this.links.set(result.id, link);
      this.store.set(result.id, result);
      for (const id of dependsOn) this.linkOf(id).dependents.push(result.id);
      const failed = deps.find((dep) => dep.status === TaskResultStatus.FAILED || dep.status === TaskResultStatus.CANCELLED);
      if (failed && (link.policy === 'cancel' || link.pipe !== Pipe.None)) {
        this.cancelForDependency(result, failed);
      } else if (link.pending > 0) {
        result.status = TaskResultStatus.WAITING;
      } else {
        this.release(result, link);
      }
    });
    for (const result of results) this.announce(result, 'enqueued');
    return results;
  }

  async groupResults(groupId: string): Promise<{ position: number; result: TaskResult }[]> {
    return [...this.links.entries()]
      .filter(([id, link]) => link.groupId === groupId && this.store.has(id))
      .map(([id, link]) => ({ position: link.position ?? 0, result: this.store.get(id)! }))
      .sort((a, b) => a.position - b.position);
  }

  async dependencyIds(id: string): Promise<string[]> {
    return [...(this.links.get(id)?.dependsOn ?? [])];
  }

  async dependentIds(id: string): Promise<string[]> {
    return [...(this.links.get(id)?.dependents ?? [])].sort();
  }

  async forget(id: string): Promise<boolean> {
    const result = this.store.get(id);
    if (!result || !result.isFinished) return false;
    this.store.delete(id);
    return true;
  }

  /**
   * A task just finished: its dependents are released or cancelled as the database does it
   * (see settleDependents). Returns the tasks made READY, in order.
   */
  protected settle(finished: TaskResult): TaskResult[] {
    const released: TaskResult[] = [];
    const queue = [finished];
    for (let next = queue.shift(); next; next = queue.shift()) {
      const failed = next.status !== TaskResultStatus.SUCCESSFUL;
      for (const id of this.links.get(next.id)?.dependents ?? []) {
        const dependent = this.store.get(id);
        const link = this.links.get(id);
        if (!dependent || !link || dependent.status !== TaskResultStatus.WAITING) continue;
        if (failed && (link.policy === 'cancel' || link.pipe !== Pipe.None)) {
          this.cancelForDependency(dependent, next);
          queue.push(dependent);
        } else if (--link.pending <= 0) {
          this.release(dependent, link);
          released.push(dependent);
        }
      }
    }
    return released;
  }

  private linkOf(id: string): MemoryLink {
    let link = this.links.get(id);
    if (!link) {
      link = { dependsOn: [], dependents: [], policy: 'cancel', pipe: Pipe.None, releaseDelayMs: null, groupId: null, position: null, pending: 0 };
      this.links.set(id, link);
    }
    return link;
  }

  private release(result: TaskResult, link: MemoryLink): void {
    result.status = TaskResultStatus.READY;
    if (link.releaseDelayMs !== null) result.runAfter = new Date(Date.now() + link.releaseDelayMs);
    if (link.pipe !== Pipe.None) {
      const values = link.dependsOn.map((id) => this.store.get(id)?.storedReturnValue ?? null);
      result.args = [link.pipe === Pipe.Values ? values : values[0] ?? null, ...result.args];
    }
  }

  private cancelForDependency(result: TaskResult, dependency: TaskResult): void {
    result.status = TaskResultStatus.CANCELLED;
    result.finishedAt = new Date();
    result.errors = [...result.errors, dependencyFailedError(dependency.id, dependency.status)];
    this.events.changed(result.id);
    this.announce(result, 'cancelled', 'finished');
  }

  async enqueue(rows: NewTaskRow[]): Promise<TaskResult[]> {
    const results = rows.map((row) => newTaskResult({ ...row, backend: this.name }, this));
    for (const result of results) {
      this.store.set(result.id, result);
      this.announce(result, 'enqueued');
    }
    return results;
  }

  async getResult(id: string): Promise<TaskResult> {
    const result = this.store.get(id);
    if (!result) throw new TaskResultNotFoundError(id);
    return result;
  }

  async cancel(id: string): Promise<TaskResult> {
    const result = await this.getResult(id);
    if (result.status === TaskResultStatus.READY || result.status === TaskResultStatus.WAITING) {
      result.status = TaskResultStatus.CANCELLED;
      result.finishedAt = new Date();
      this.events.changed(id);
      this.announce(result, 'cancelled', 'finished');
      this.settle(result);
    }
    return result;
  }

  async prune({ olderThan, statuses, queues }: PruneRequest): Promise<number> {
    let deleted = 0;
    const before = resolveTime(olderThan, new Date());
    for (const [id, result] of this.store) {
      if (statuses.includes(result.status) && result.finishedAt && result.finishedAt < before
          && (!queues || queues.includes(result.queueName))) {
        this.store.delete(id);
        deleted++;
      }
    }
    return deleted;
  }

  async load(id: string): Promise<Partial<TaskRow> | null> {
    // The stored instance is the truth; copy its columns so refresh() on another instance sees them.
    const result = this.store.get(id);
    return result ? { ...result } : null;
  }

  waitForChange(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return this.events.waitForChange(id, ms, signal);
  }

  /** Emits `events` with a copy of `result` as it is now, if anyone listens. */
  protected announce(result: TaskResult, ...events: TaskEventName[]): void {
    if (!this.bus.wantsAny(events, result.taskName)) return;
    const snapshot = Object.assign(Object.create(Object.getPrototypeOf(result)) as TaskResult, result);
    for (const event of events) this.bus.emit(event, bindTaskResult(snapshot, this));
  }
}

/** `backend: 'dummy'`: stores tasks in memory and never runs them; inspect `results` in tests. */
export class DummyBackend extends MemoryBackend {
  readonly name = 'dummy' as const;
}

/** A workflow task's edges and settings, in memory. */
interface MemoryLink {
  dependsOn: string[];
  dependents: string[];
  policy: 'cancel' | 'run';
  pipe: number;
  releaseDelayMs: number | null;
  groupId: string | null;
  position: number | null;
  /** Dependencies not finished yet. */
  pending: number;
}
