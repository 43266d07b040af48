'use strict';
// BullMQ 6 on Redis (key prefix `ntbench`, queue ntbench-noop; obliterated before every metric).
const { createBullmq } = require('../src/bullmq-common');

module.exports = {
  name: 'bullmq',
  async create(ctx) {
    const r = ctx.cfg.redis;
    return createBullmq(ctx, {
      connection: { host: r.host, port: r.port, db: r.db },
      prefix: r.prefix,
    });
  },
};
