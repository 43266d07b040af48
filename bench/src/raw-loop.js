'use strict';
// The framework-free worker loop shared by the raw-SQL baselines: claim up to `batch` due rows
// in one statement, run the handler on each (at most `concurrency` at once), mark the whole
// batch done in one statement, repeat; sleep `pollMs` only when nothing was due.
const { interruptibleSleep, runLimited } = require('./util');

const RAW_BATCH = 50;

function startRawLoop({ claim, complete, concurrency, pollMs, onJob, onError }) {
  let stopping = false;
  let nap = null;
  const handler = async (payload) => {
    onJob(payload);
    return null;
  };
  const done = (async () => {
    while (!stopping) {
      let rows;
      try {
        rows = await claim(RAW_BATCH);
      } catch (e) {
        onError(e);
        throw e;
      }
      if (!rows.length) {
        nap = interruptibleSleep(pollMs);
        await nap;
        nap = null;
        continue;
      }
      await runLimited(rows, concurrency, (r) => handler(r.payload));
      await complete(rows.map((r) => r.id));
    }
  })();
  return {
    done,
    async stop() {
      stopping = true;
      if (nap) nap.wake();
      await done.catch(() => {});
    },
  };
}

module.exports = { startRawLoop, RAW_BATCH };
