import type { NewTaskRow, NewWorkflowTask } from '../dialects/task-dialect.interface';
import { Pipe } from '../dialects/shared/dependents.settle';
import type { DependencyRef } from '../interfaces/task-types';
import { findJsonMismatch } from '../serialization/json-roundtrip';
import { InvalidTaskError } from '../task.errors';
import { isTaskId, newTaskId } from '../task-id';
import { PipeCall, TaskCall } from './task-call';

/** Builds the row of one step (resolving its task, checking its arguments and options like an enqueue). */
export type PrepareStep = (step: TaskCall | PipeCall) => NewTaskRow;

/** Options an enqueue takes that a step inside a workflow cannot. */
const NOT_IN_A_WORKFLOW = ['key', 'debounce', 'throttle', 'manager', 'dependsOn', 'runAfter', 'kwargs'];

/**
 * The tasks of `group(calls, { then })`: the members (positions 0…n-1) and the chord callback
 * (position -1), which depends on every member and, as a `pipe()`, receives their values in order.
 */
export function groupTasks(calls: readonly unknown[], then: unknown, prepare: PrepareStep): { id: string; tasks: NewWorkflowTask[] } {
  if (!Array.isArray(calls) || calls.length === 0) throw new InvalidTaskError('group() takes a non-empty array of call()s.');
  const id = newTaskId();
  const tasks = calls.map((step, index) => {
    if (!(step instanceof TaskCall)) {
      throw new InvalidTaskError(`group(): member ${index} must be a call() (a pipe() has nothing before it to receive).`);
    }
    return stepTask(step, `group() member ${index}`, prepare, id, index, []);
  });
  if (then !== undefined) {
    if (!(then instanceof TaskCall) && !(then instanceof PipeCall)) throw new InvalidTaskError('group(): `then` must be a call() or a pipe().');
    tasks.push(stepTask(then, 'group() callback', prepare, id, -1, calls.map((_, index) => ({ index })), Pipe.Values));
  }
  return { id, tasks };
}

/** The tasks of `chain(steps)`: each depends on the previous one; a `pipe()` step receives its value. */
export function chainTasks(steps: readonly unknown[], prepare: PrepareStep): { id: string; tasks: NewWorkflowTask[] } {
  if (!Array.isArray(steps) || steps.length < 2) {
    throw new InvalidTaskError('chain() takes at least two steps (enqueue a single task with enqueue()).');
  }
  if (!(steps[0] instanceof TaskCall)) throw new InvalidTaskError('chain(): the first step must be a call(): a pipe() has nothing before it.');
  const id = newTaskId();
  const tasks = steps.map((step, index) => {
    if (!(step instanceof TaskCall) && !(step instanceof PipeCall)) throw new InvalidTaskError(`chain(): step ${index} must be a call() or a pipe().`);
    return stepTask(step, `chain() step ${index}`, prepare, id, index, index === 0 ? [] : [{ index: index - 1 }], Pipe.Value);
  });
  return { id, tasks };
}

/** One step as a task to store; `pipe` is how a `pipe()` step receives (a `call()` step receives nothing). */
function stepTask(
  step: TaskCall | PipeCall, where: string, prepare: PrepareStep, groupId: string, position: number,
  dependsOn: { index: number }[], pipe: Pipe = Pipe.None,
): NewWorkflowTask {
  const options = (step.options ?? {}) as Record<string, unknown>;
  for (const forbidden of NOT_IN_A_WORKFLOW) {
    if (options[forbidden] !== undefined) {
      throw new InvalidTaskError(`${where}: \`${forbidden}\` cannot be given to a task inside a workflow` +
        (forbidden === 'manager' ? ' (give it in the options of group() or chain())' : '') + '.');
    }
  }
  const isPipe = step instanceof PipeCall;
  if (isPipe && options.onDependencyFailure !== undefined) {
    throw new InvalidTaskError(`${where}: a pipe() step always ends cancelled when what it receives fails; onDependencyFailure is for call().`);
  }
  const row = prepare(step);
  row.groupId = groupId;
  row.groupPosition = position;
  return {
    row,
    dependsOn,
    onDependencyFailure: failurePolicy(options.onDependencyFailure, where),
    pipe: isPipe ? pipe : Pipe.None,
    releaseDelayMs: typeof options.delay === 'number' ? options.delay : 0,
  };
}

/** The ids of `dependsOn`: results, ids, or groups (their members), each once, in order. */
export function dependencyIds(refs: readonly DependencyRef[], where: string): string[] {
  if (!Array.isArray(refs)) throw new InvalidTaskError(`${where}: dependsOn must be an array of results, ids or groups.`);
  const ids: string[] = [];
  for (const ref of refs) {
    const members = typeof ref === 'object' && ref !== null && 'results' in ref && Array.isArray(ref.results) ? ref.results : [ref];
    for (const member of members) {
      const id = typeof member === 'string' ? member : (member as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || !isTaskId(id)) throw new InvalidTaskError(`${where}: dependsOn has ${JSON.stringify(id ?? member)}, which is not a task id.`);
      if (!ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

export function failurePolicy(value: unknown, where: string): 'cancel' | 'run' {
  if (value === undefined) return 'cancel';
  if (value === 'cancel' || value === 'run') return value;
  throw new InvalidTaskError(`${where}: onDependencyFailure must be 'cancel' or 'run', got ${JSON.stringify(value)}.`);
}

/** The enqueue option `metadata`: a plain object that survives JSON, or null. */
export function checkMetadata(metadata: unknown, where: string): Record<string, unknown> | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new InvalidTaskError(`${where}: metadata must be a plain JSON object.`);
  const mismatch = findJsonMismatch(metadata, 'metadata');
  if (mismatch) throw new InvalidTaskError(`${where}: metadata does not survive JSON: ${mismatch.path} is ${mismatch.reason}.`);
  return metadata as Record<string, unknown>;
}
