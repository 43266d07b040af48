import { InvalidWorkerOptionError, parseWorkerFlags } from '../../src';
import { parseWorkerCommand } from '../../src/worker/worker-flags';
import { packageVersion } from '../../src/package-version';
import { resolveWorkerOptions, WORKER_DEFAULTS } from '../../src/worker/worker-options';

describe('worker flags', () => {
  it('parses every flag', () => {
    expect(parseWorkerFlags([
      '--queue', 'a,b', '--concurrency', '4', '--interval', '250', '--batch', '--max-tasks', '9',
      '--worker-id', 'w1', '--lease-duration', '5000', '--shutdown-timeout', '100', '--prune-after', '86400000',
    ])).toEqual({
      queues: ['a', 'b'], concurrency: 4, pollInterval: 250, batch: true, maxTasks: 9,
      workerId: 'w1', leaseDuration: 5000, shutdownTimeout: 100, pruneAfter: 86_400_000,
    });
    expect(parseWorkerFlags(['--queue=*'])).toEqual({ queues: '*' });
    expect(parseWorkerFlags(['--no-scheduler'])).toEqual({ scheduler: false });
    expect(resolveWorkerOptions({}).scheduler).toBe(true);
    expect(() => resolveWorkerOptions({ scheduler: 'no' as never })).toThrow(/scheduler \(--no-scheduler\) must be true or false/);
    expect(parseWorkerFlags([])).toEqual({});
  });

  it.each([
    [['--concurrency', 'ten'], '--concurrency'],
    [['--concurrency', '-1'], '--concurrency'],
    [['--interval', '1.5'], '--interval'],
    [['--queue', 'a,,b'], '--queue'],
    [['--max-tasks'], 'max-tasks'],
    [['--bogus'], '--bogus'],
  ])('rejects %j naming %s', (argv, flag) => {
    expect(() => parseWorkerFlags(argv)).toThrow(InvalidWorkerOptionError);
    expect(() => parseWorkerFlags(argv)).toThrow(flag);
  });

  it('answers --help and --version before anything else, and otherwise parses the options', () => {
    expect(parseWorkerCommand(['--help'])).toEqual({ kind: 'help' });
    expect(parseWorkerCommand(['-h'])).toEqual({ kind: 'help' });
    expect(parseWorkerCommand(['--bogus', '--help'])).toEqual({ kind: 'help' });
    expect(parseWorkerCommand(['--version'])).toEqual({ kind: 'version' });
    expect(parseWorkerCommand(['--batch', '--queue', 'a'])).toEqual({ kind: 'run', options: { batch: true, queues: ['a'] } });
    expect(() => parseWorkerCommand(['--bogus'])).toThrow(InvalidWorkerOptionError);
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('resolves defaults and rejects out-of-range values naming option and flag', () => {
    const resolved = resolveWorkerOptions({});
    expect(resolved).toMatchObject({ queues: ['default'], concurrency: WORKER_DEFAULTS.concurrency, pollInterval: 1000, batch: false, maxTasks: null, shutdownTimeout: 30_000, leaseDuration: 30_000 });
    expect(resolved.workerId).toMatch(/^.+:\d+:[0-9a-f]{6}$/);
    expect(resolveWorkerOptions({ queues: '*' }).queues).toBeNull();
    expect(() => resolveWorkerOptions({ concurrency: 0 })).toThrow(/concurrency \(--concurrency\)/);
    expect(() => resolveWorkerOptions({ leaseDuration: 10 })).toThrow(/--lease-duration/);
    expect(() => resolveWorkerOptions({ queues: [] })).toThrow(/--queue/);
    expect(() => resolveWorkerOptions({ maxTasks: 0 })).toThrow(/--max-tasks/);
    expect(() => resolveWorkerOptions({ pruneAfter: 5 })).toThrow(/--prune-after/);
  });
});
