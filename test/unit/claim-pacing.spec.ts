import { ClaimPacer } from '../../src/worker/claim.pacer';
import { ClaimedAheadBuffer } from '../../src/worker/claimed-ahead.buffer';
import type { ClaimedTask } from '../../src/dialects/task-dialect.interface';

const task = (id: string): ClaimedTask =>
  ({ id, taskName: 't', queueName: 'default', priority: 0, args: '[]', kwargs: '{}', attempt: 1, maxAttempts: 1 });

describe('claim pacing', () => {
  it('claims the free slots, and ahead only while full claims of fast tasks keep coming', () => {
    const pacer = new ClaimPacer(10);
    expect(pacer.limit(0, 0)).toBe(10);
    pacer.ran(1);
    expect(pacer.claimed(10, 10)).toBe(true);
    expect(pacer.limit(0, 0)).toBe(110);
    // While the buffer feeds the slots, it waits for a worthwhile batch.
    expect(pacer.limit(10, 80)).toBe(0);
    pacer.stalled();
    expect(pacer.limit(10, 0)).toBe(0);
    expect(pacer.limit(4, 0)).toBe(6);
  });

  it('never claims ahead of slow tasks', () => {
    const pacer = new ClaimPacer(4);
    pacer.ran(500);
    pacer.claimed(4, 4);
    expect(pacer.limit(0, 0)).toBe(4);
  });
});

describe('claimed-ahead buffer', () => {
  it('gives up the tasks that waited longest, oldest first', () => {
    const buffer = new ClaimedAheadBuffer(1_000);
    buffer.push([task('a'), task('b')], 0);
    buffer.push([task('c')], 600);
    expect(buffer.msUntilStale(500)).toBe(500);
    expect(buffer.takeStale(999)).toEqual([]);
    expect(buffer.takeStale(1_000).map((stale) => stale.id)).toEqual(['a', 'b']);
    expect(buffer.msUntilStale(1_000)).toBe(600);
    expect(buffer.take((buffered) => buffered.id === 'c')?.id).toBe('c');
    expect(buffer.msUntilStale()).toBeUndefined();
  });
});
