import { WakeUp } from '../../src/worker/wake-up';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Whether `sleep` has resolved after `turns` turns of the event loop. */
async function resolvedWithin(sleep: Promise<void>, turns = 3): Promise<boolean> {
  let done = false;
  void sleep.then(() => (done = true));
  for (let i = 0; i < turns; i++) await tick();
  return done;
}

describe('worker wake-up', () => {
  it('wake-ups before the sleeper resumes resume it once: its next sleep waits', async () => {
    const wakeUp = new WakeUp();
    const first = wakeUp.sleep();
    wakeUp.wake();
    wakeUp.wake();
    expect(await resolvedWithin(first)).toBe(true);
    const second = wakeUp.sleep(10_000);
    expect(await resolvedWithin(second)).toBe(false);
    wakeUp.wake();
    expect(await resolvedWithin(second)).toBe(true);
  });

  it('a wake-up while the loop is busy is kept for its next sleep', async () => {
    const wakeUp = new WakeUp();
    wakeUp.wake();
    expect(await resolvedWithin(wakeUp.sleep(10_000), 1)).toBe(true);
  });

  it('a sleeper its timer resumed first does not swallow later wake-ups', async () => {
    const wakeUp = new WakeUp();
    const first = wakeUp.sleep(1);
    const due = Date.now() + 5;
    while (Date.now() < due); // the timer is due before the deferred wake-up runs
    wakeUp.wake();
    await first;
    // Resumed by its timer or by the wake-up, whichever ran first: the next wake-up still counts.
    const second = wakeUp.sleep(10_000);
    wakeUp.wake();
    expect(await resolvedWithin(second)).toBe(true);
  });
});
