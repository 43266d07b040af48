'use strict';
// What the two BullMQ adapters share: the same Queue / Worker code on either backend.
// Defaults everywhere (completed jobs are kept, as BullMQ does by default), job name 'noop'.
const { Queue, Worker } = require('bullmq');

const QUEUE = 'ntbench-noop';

/**
 * @param ctx       the adapter context
 * @param opts      { connection, prefix?, backendFactory?, reset?() }. Without `reset`, setup()
 *                  obliterates the queue (Redis: that deletes every key of the queue). With it,
 *                  setup() closes the driver's queue, calls reset() (PostgreSQL: drop the schema
 *                  and migrate again, so no event rows or table bloat carry over between
 *                  measurements) and opens a new queue.
 */
async function createBullmq(ctx, { connection, prefix, backendFactory, reset }) {
  const args = (o) => (backendFactory ? [o, backendFactory] : [o]);
  const base = prefix ? { connection, prefix } : { connection };
  let queue = null;

  const openQueue = async () => {
    queue = new Queue(QUEUE, ...args({ ...base }));
    queue.on('error', (e) => ctx.log('queue error', e.message));
    await queue.waitUntilReady();
  };

  if (ctx.role === 'driver') {
    if (reset) await reset();
    await openQueue();
  }

  return {
    async setup() {
      if (reset) {
        await queue.close();
        await reset();
        await openQueue();
      } else {
        await queue.obliterate({ force: true });
      }
    },
    async enqueueOne(payload) {
      await queue.add('noop', payload);
    },
    async enqueueBulk(payloads) {
      await queue.addBulk(payloads.map((data) => ({ name: 'noop', data })));
    },
    async pending() {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async startWorker({ concurrency, onJob }) {
      const worker = new Worker(
        QUEUE,
        async (job) => {
          onJob(job.data);
          return null;
        },
        ...args({ ...base, concurrency, autorun: false }),
      );
      worker.on('error', (e) => ctx.log('worker error', e.message));
      await worker.waitUntilReady();
      const done = worker.run();
      return {
        done,
        async stop() {
          await worker.close();
          await done.catch(() => {});
        },
      };
    },
    async teardown() {
      if (queue) await queue.close();
    },
  };
}

module.exports = { createBullmq, QUEUE };
