'use strict';
// What the two BullMQ adapters share: the same Queue / Worker code on either backend.
// Defaults everywhere (completed jobs are kept, as BullMQ does by default), job name 'noop'.
// The workflow metrics use flows (FlowProducer) on the same queue: a parent job waits in
// 'waiting-children' until all its children completed, then runs.
const { Queue, Worker, FlowProducer } = require('bullmq');
const { now } = require('./util');

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
  let flows = null; // FlowProducer, opened on the first workflow metric

  const openQueue = async () => {
    queue = new Queue(QUEUE, ...args({ ...base }));
    queue.on('error', (e) => ctx.log('queue error', e.message));
    await queue.waitUntilReady();
  };
  const closeFlows = async () => {
    if (flows) await flows.close();
    flows = null;
  };

  if (ctx.role === 'driver') {
    if (reset) await reset();
    await openQueue();
  }

  return {
    async setup() {
      if (reset) {
        // The FlowProducer holds connections to the schema about to be dropped: reopen it later.
        await closeFlows();
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
    /**
     * chord: one parent with `n` children; the parent runs once every child completed.
     * chain: `n` jobs nested one inside the other (each parent has one child), so the deepest
     * runs first and the top parent last: the nearest thing BullMQ has to a chain.
     * The tree is built here, untimed; the returned function is the timed FlowProducer.add().
     */
    async workflow(kind, n) {
      if (!flows) {
        flows = new FlowProducer(...args({ ...base }));
        flows.on('error', (e) => ctx.log('flow producer error', e.message));
        await flows.waitUntilReady();
      }
      let tree;
      if (kind === 'chord') {
        const children = Array.from({ length: n }, (_, i) => ({ name: 'member', queueName: QUEUE, data: { i } }));
        tree = { name: 'collect', queueName: QUEUE, data: { n }, children };
      } else if (kind === 'chain') {
        tree = { name: 'step', queueName: QUEUE, data: { i: 0, last: n - 1 } };
        for (let i = 1; i < n; i++) tree = { name: 'step', queueName: QUEUE, data: { i, last: n - 1 }, children: [tree] };
      } else {
        throw new Error(`unknown workflow ${kind}`);
      }
      return () => flows.add(tree);
    },
    async pending() {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async startWorker({ concurrency, onJob }) {
      const worker = new Worker(
        QUEUE,
        async (job) => {
          switch (job.name) {
            case 'member':
              onJob(null);
              return job.data.i;
            case 'collect': {
              // The callback's start is what the chord metric measures. A BullMQ parent gets its
              // children's values by reading them (getChildrenValues), after its start; that read
              // is reported apart (valuesMs), not counted in the metric.
              const at = now();
              const values = await job.getChildrenValues();
              onJob({ mark: 1, at, received: Object.keys(values).length, valuesMs: now() - at });
              return null;
            }
            case 'step': {
              // Each step reads what its child returned, as a pipe() step receives the previous
              // value; that read is part of the chain, as it is of every step but the last.
              const at = now();
              let previous = -1;
              let valuesMs = 0;
              if (job.data.i > 0) {
                previous = Object.values(await job.getChildrenValues())[0];
                valuesMs = now() - at;
              }
              onJob({ at, mark: job.data.i === job.data.last ? 1 : 0, received: previous, valuesMs });
              return job.data.i;
            }
            default:
              onJob(job.data);
              return null;
          }
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
      await closeFlows();
      if (queue) await queue.close();
    },
  };
}

module.exports = { createBullmq, QUEUE };
