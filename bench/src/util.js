'use strict';
// Small helpers shared by the orchestrator, the agents and the adapters.

/**
 * Milliseconds (float) on CLOCK_MONOTONIC. On Linux process.hrtime() reads the same
 * system-wide monotonic clock in every process, so a timestamp taken in the producer
 * process can be subtracted from one taken in a worker process.
 */
function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A sleep that can be cut short: `const s = interruptibleSleep(ms); s.wake();` */
function interruptibleSleep(ms) {
  let timer;
  let done;
  const p = new Promise((resolve) => {
    done = resolve;
    timer = setTimeout(resolve, ms);
  });
  p.wake = () => {
    clearTimeout(timer);
    done();
  };
  return p;
}

/** Nearest-rank percentile of an unsorted array (p in 0..100). */
function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function chunk(arr, size) {
  const out = [];
  for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size));
  return out;
}

/** Runs `fn(item)` for every item with at most `limit` in flight. */
async function runLimited(items, limit, fn) {
  if (limit <= 1) {
    for (const item of items) await fn(item);
    return;
  }
  let next = 0;
  const lanes = [];
  for (let l = 0; l < Math.min(limit, items.length); l++) {
    lanes.push(
      (async () => {
        while (next < items.length) await fn(items[next++]);
      })(),
    );
  }
  await Promise.all(lanes);
}

function mb(bytes) {
  return Math.round((bytes / 1048576) * 10) / 10;
}

module.exports = { now, sleep, interruptibleSleep, percentile, chunk, runLimited, mb };
