import { AttemptStop } from '../../src/execution/attempt-stop';

/** The stop of one attempt, whose AbortSignal exists only once the task asks for it. */
describe('AttemptStop', () => {
  it('settles as the work does while nothing stops it', async () => {
    await expect(new AttemptStop().race(Promise.resolve(7))).resolves.toBe(7);
    await expect(new AttemptStop().race(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('rejects with the first reason at once, though the work never settles', async () => {
    const stop = new AttemptStop();
    const raced = stop.race(new Promise(() => undefined));
    stop.abort('first');
    stop.abort('second');
    await expect(raced).rejects.toBe('first');
    expect(stop.aborted).toBe(true);
    expect(stop.reason).toBe('first');
  });

  it('a race begun after the stop rejects, and the work failing later is handled', async () => {
    const stop = new AttemptStop();
    stop.abort('gone');
    let fail!: (error: Error) => void;
    const raced = stop.race(new Promise((_, reject) => (fail = reject)));
    await expect(raced).rejects.toBe('gone');
    fail(new Error('late'));
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('a signal asked for before the stop fires with its reason; one asked for after is already aborted', () => {
    const early = new AttemptStop();
    const signal = early.signal;
    const heard: unknown[] = [];
    signal.addEventListener('abort', () => heard.push(signal.reason));
    early.abort('cancelled');
    expect(heard).toEqual(['cancelled']);
    expect(early.signal).toBe(signal);

    const late = new AttemptStop();
    late.abort('timeout');
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('timeout');
  });
});

/** One promise per attempt: the work's outcome or the stop's reason, mapped, whichever comes first. */
describe('AttemptStop.settle', () => {
  const settle = (stop: AttemptStop, work: Promise<unknown>) =>
    stop.settle(work, (value) => `value ${String(value)}`, (reason) => `stopped or failed: ${String(reason)}`);

  it('maps the value or the rejection of the work', async () => {
    await expect(settle(new AttemptStop(), Promise.resolve(7))).resolves.toBe('value 7');
    await expect(settle(new AttemptStop(), Promise.reject('boom'))).resolves.toBe('stopped or failed: boom');
  });

  it('maps the stop as soon as it comes, once, and ignores the work settling later', async () => {
    const stop = new AttemptStop();
    let finish!: (value: unknown) => void;
    const settled = settle(stop, new Promise((resolve) => (finish = resolve)));
    stop.abort('cancelled');
    finish('late');
    await expect(settled).resolves.toBe('stopped or failed: cancelled');
    await expect(settle(stop, Promise.resolve(1))).resolves.toBe('stopped or failed: cancelled');
  });

  it('rejects when a mapping throws', async () => {
    const stop = new AttemptStop();
    await expect(stop.settle(Promise.resolve(1), () => { throw new Error('mapping'); }, () => 0)).rejects.toThrow('mapping');
  });
});
