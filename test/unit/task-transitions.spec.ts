import {
  applyChange, applyClaim, cancelDecision, cancelled, claimed, failed, ifCancelRequested, released, rescued, succeeded,
  TaskChange, workerLostError,
} from '../../src/core/task.transitions';
import type { TaskRow } from '../../src/core/task-row';
import { TaskResultStatus } from '../../src/task-result-status.enum';
import type { TaskError } from '../../src/interfaces/task-error.interface';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const LATER = new Date('2030-01-01T00:00:05.000Z');
const ERROR: TaskError = { name: 'Error', message: 'boom', traceback: 'at task', attempt: 1, failedAt: NOW.toISOString() };

function readyRow(overrides: Partial<TaskRow> = {}): TaskRow {
  return {
    id: 't1', taskName: 'T.run', status: TaskResultStatus.READY, queueName: 'default', priority: 0, args: [], kwargs: {},
    backend: 'database', runAfter: NOW, enqueuedAt: NOW, startedAt: null, finishedAt: null, lastAttemptedAt: null,
    maxAttempts: 3, errors: [], workerIds: [], progress: null, storedReturnValue: null, claimedBy: null,
    leaseExpiresAt: null, cancelRequested: false, scheduledAt: null, groupId: null, metadata: null, uniqueKey: null, ...overrides,
  };
}

/** A row claimed by `w1` for its `attempt`-th attempt. */
function runningRow(attempt = 1, overrides: Partial<TaskRow> = {}): TaskRow {
  const row = readyRow({ workerIds: Array(attempt - 1).fill('w0'), ...overrides });
  applyClaim(row, claimed('w1', 30_000), NOW);
  return row;
}

const task = (attempt: number, maxAttempts = 3) => ({ id: 't1', attempt, maxAttempts });

describe('state machine: claim', () => {
  it('READY → RUNNING under a lease measured from the database clock, attempt + 1', () => {
    expect(claimed('w1', 30_000)).toEqual({ status: TaskResultStatus.RUNNING, claimedBy: 'w1', leaseExpiresAt: { afterNow: 30_000 } });
    const row = runningRow(1);
    expect(row).toMatchObject({
      status: TaskResultStatus.RUNNING, claimedBy: 'w1', workerIds: ['w1'], startedAt: NOW, lastAttemptedAt: NOW,
      leaseExpiresAt: new Date(NOW.getTime() + 30_000),
    });
    // A later attempt keeps the first start.
    applyChange(row, 'w1', released(task(1)), NOW);
    const again = runningRow(2, { startedAt: new Date(0) });
    expect(again.startedAt).toEqual(new Date(0));
    expect(again.lastAttemptedAt).toEqual(NOW);
  });
});

describe('state machine: the end of an attempt', () => {
  it('success → SUCCESSFUL with its return value, finished', () => {
    const change = succeeded(task(1), '"42"');
    expect(change).toEqual({ ref: { id: 't1', attempt: 1 }, status: TaskResultStatus.SUCCESSFUL, returnValue: '"42"', error: null, runAfter: null, uncharge: false });
    const row = runningRow();
    expect(applyChange(row, 'w1', change, LATER)).toBe(true);
    expect(row).toMatchObject({ status: TaskResultStatus.SUCCESSFUL, storedReturnValue: '42', finishedAt: LATER, claimedBy: null, leaseExpiresAt: null });
  });

  it('retryable failure with attempts left → READY after the backoff (relative), error recorded, not finished', () => {
    const change = failed(task(1), ERROR, { retryable: true, backoff: 2_000 });
    expect(change).toMatchObject({ status: TaskResultStatus.READY, error: ERROR, runAfter: { afterNow: 2_000 } });
    const row = runningRow();
    applyChange(row, 'w1', change, LATER);
    expect(row).toMatchObject({ status: TaskResultStatus.READY, finishedAt: null, errors: [ERROR], runAfter: new Date(LATER.getTime() + 2_000) });
  });

  it('failure of the last attempt → FAILED, finished', () => {
    const change = failed(task(3, 3), ERROR, { retryable: true, backoff: 2_000 });
    expect(change).toMatchObject({ status: TaskResultStatus.FAILED, runAfter: null, error: ERROR });
    const row = runningRow(3);
    applyChange(row, 'w1', change, LATER);
    expect(row).toMatchObject({ status: TaskResultStatus.FAILED, finishedAt: LATER, errors: [ERROR] });
  });

  it('a failure retrying cannot help → FAILED at once, the backoff never asked', () => {
    const backoff = jest.fn(() => 10);
    expect(failed(task(1), ERROR, { retryable: false, backoff })).toMatchObject({ status: TaskResultStatus.FAILED });
    expect(backoff).not.toHaveBeenCalled();
  });

  it.each([
    ['throws', () => { throw new Error('no backoff today'); }],
    ['returns NaN', () => NaN],
    ['returns a negative number', () => -1],
    ['returns a non-number', () => 'soon' as unknown as number],
  ])('a backoff that %s still decides a retry: the default backoff, the reason recorded and reported', (_, backoff) => {
    const problems: string[] = [];
    const change = failed(task(1), ERROR, { retryable: true, backoff, onBackoffProblem: (problem) => problems.push(problem) });
    expect(change.status).toBe(TaskResultStatus.READY);
    const delay = (change.runAfter as { afterNow: number }).afterNow;
    expect(delay).toBeGreaterThanOrEqual(500);
    expect(delay).toBeLessThanOrEqual(1_000);
    expect(problems).toHaveLength(1);
    expect(change.error!.message).toBe('boom');
    expect(change.error!.traceback).toContain(problems[0]);
  });

  it('cancelled attempt → CANCELLED, finished', () => {
    const row = runningRow();
    applyChange(row, 'w1', cancelled(task(1)), LATER);
    expect(row).toMatchObject({ status: TaskResultStatus.CANCELLED, finishedAt: LATER, errors: [] });
  });

  it('release at shutdown → READY, the attempt given back (worker id removed, first start reset)', () => {
    const first = runningRow(1);
    applyChange(first, 'w1', released(task(1)), LATER);
    expect(first).toMatchObject({ status: TaskResultStatus.READY, workerIds: [], startedAt: null, finishedAt: null, errors: [], runAfter: NOW });
    const second = runningRow(2, { startedAt: new Date(0) });
    applyChange(second, 'w1', released(task(2)), LATER);
    expect(second).toMatchObject({ status: TaskResultStatus.READY, workerIds: ['w0'], startedAt: new Date(0) });
  });
});

describe('state machine: rescue of an expired lease', () => {
  it('attempts left → READY at once (relative 0) with a WorkerLostError', () => {
    const change = rescued({ id: 't1', attempt: 1, maxAttempts: 3, claimedBy: 'w1' }, NOW);
    expect(change).toMatchObject({ status: TaskResultStatus.READY, runAfter: { afterNow: 0 }, error: workerLostError('w1', 1, NOW) });
    expect(change.error!.message).toContain('Worker w1 stopped renewing its lease');
  });

  it('last attempt → FAILED with a WorkerLostError', () => {
    const row = runningRow(3);
    applyChange(row, 'w1', rescued({ id: 't1', attempt: 3, maxAttempts: 3, claimedBy: 'w1' }, NOW), LATER);
    expect(row).toMatchObject({ status: TaskResultStatus.FAILED, finishedAt: LATER, errors: [expect.objectContaining({ name: 'WorkerLostError', attempt: 3 })] });
  });
});

describe('state machine: fences', () => {
  const change = succeeded(task(1), '1');
  it.each([
    ['another worker', runningRow(1), 'w2', change],
    ['another attempt', runningRow(2), 'w1', change],
    ['a row no longer RUNNING', Object.assign(runningRow(1), { status: TaskResultStatus.READY }), 'w1', change],
  ])('a change for %s changes nothing', (_, row, workerId, theChange) => {
    const before = { ...row };
    expect(applyChange(row, workerId as string, theChange as TaskChange, LATER)).toBe(false);
    expect(row).toEqual(before);
  });
});

describe('state machine: cancellation', () => {
  it('READY is cancelled at once, RUNNING is asked to stop, finished rows are left alone', () => {
    expect(cancelDecision(TaskResultStatus.READY)).toBe('cancel');
    expect(cancelDecision(TaskResultStatus.RUNNING)).toBe('request');
    for (const status of [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED, TaskResultStatus.CANCELLED]) {
      expect(cancelDecision(status)).toBe('none');
    }
  });

  // The cancellation is requested after the worker decided, before its statement runs: the
  // statement sees cancel_requested and the cancellation wins every race.
  const racing: [string, TaskChange, Partial<TaskRow>][] = [
    ['a success (its return value dropped)', succeeded(task(1), '"done"'), { storedReturnValue: null, errors: [] }],
    ['a retry (its error kept, not rescheduled)', failed(task(1), ERROR, { retryable: true, backoff: 1_000 }), { errors: [ERROR], runAfter: NOW }],
    ['a final failure (its error kept)', failed(task(1, 1), ERROR, { retryable: true }), { errors: [ERROR] }],
    ['a cancelled attempt', cancelled(task(1)), { errors: [] }],
    ['a release at shutdown (still uncharged)', released(task(1)), { workerIds: [], startedAt: null }],
    ['a rescue (its WorkerLostError kept)', rescued({ id: 't1', attempt: 1, maxAttempts: 3, claimedBy: 'w1' }, NOW),
      { errors: [expect.objectContaining({ name: 'WorkerLostError' })] }],
  ];
  it.each(racing)('racing %s: CANCELLED, finished', (_, change, expected) => {
    const row = runningRow(1, { maxAttempts: change.status === TaskResultStatus.FAILED ? 1 : 3 });
    row.cancelRequested = true;
    expect(applyChange(row, 'w1', change, LATER)).toBe(true);
    expect(row).toMatchObject({ status: TaskResultStatus.CANCELLED, finishedAt: LATER, claimedBy: null, leaseExpiresAt: null, ...expected });
    expect(ifCancelRequested(change)).toMatchObject({ status: TaskResultStatus.CANCELLED, returnValue: null, runAfter: null, error: change.error });
  });

  it('racing a claim: the claim wins (the row was READY), the request is then seen by the renewal', () => {
    const row = readyRow();
    applyClaim(row, claimed('w1', 1_000), NOW);
    expect(cancelDecision(row.status)).toBe('request');
  });
});
