'use strict';
// The systems the bench knows about. `id` is what `--systems` matches (whole id, name, db or
// adapter file name all work), `server` is the server it needs, `module` the adapter file.
const path = require('path');

const SYSTEMS = [
  { name: 'nestjs-tasks', db: 'sqlite', server: null, file: 'nestjs-tasks' },
  { name: 'raw-sql', db: 'sqlite', server: null, file: 'raw-sqlite' },
  { name: 'nestjs-tasks', db: 'postgres', server: 'postgres', file: 'nestjs-tasks' },
  { name: 'raw-sql', db: 'postgres', server: 'postgres', file: 'raw-postgres' },
  { name: 'pg-boss', db: 'postgres', server: 'postgres', file: 'pgboss' },
  { name: 'graphile-worker', db: 'postgres', server: 'postgres', file: 'graphile' },
  { name: 'bullmq', db: 'postgres', server: 'postgres', file: 'bullmq-postgres' },
  { name: 'nestjs-tasks', db: 'mysql', server: 'mysql', file: 'nestjs-tasks' },
  { name: 'raw-sql', db: 'mysql', server: 'mysql', file: 'raw-mysql' },
  { name: 'bullmq', db: 'redis', server: 'redis', file: 'bullmq-redis' },
  // Baselines for the idle memory of nestjs-tasks: rss_idle only.
  { name: 'bare-nest', db: 'sqlite', server: null, file: 'bare-nest', metrics: ['rss_idle'] },
  { name: 'bare-nest', db: 'postgres', server: 'postgres', file: 'bare-nest', metrics: ['rss_idle'] },
  { name: 'bare-nest', db: 'mysql', server: 'mysql', file: 'bare-nest', metrics: ['rss_idle'] },
].map((s) => ({
  ...s,
  id: `${s.name}:${s.db}`,
  module: path.join(__dirname, '..', 'systems', `${s.file}.js`),
  // Whether the chord / chain metrics apply: nestjs-tasks workflows and BullMQ flows.
  workflows: s.name === 'nestjs-tasks' || s.name === 'bullmq',
  // Whether the keyed metric applies: nestjs-tasks' unique tasks (enqueue option `key`).
  keyed: s.name === 'nestjs-tasks',
  // Whether the limited metric applies: nestjs-tasks queue limits.
  limits: s.name === 'nestjs-tasks',
  // The metrics the system takes part in (all when not given).
  metrics: s.metrics || null,
}));

const ALIASES = {
  raw: 'raw-sql',
  pgboss: 'pg-boss',
  'pg-boss': 'pg-boss',
  graphile: 'graphile-worker',
  nest: 'nestjs-tasks',
  bare: 'bare-nest',
  ours: 'nestjs-tasks',
  mysql: 'mysql',
  mariadb: 'mysql',
  pg: 'postgres',
};

/**
 * Filters SYSTEMS by a comma list. A token matches a system when it equals its id
 * (`bullmq:redis`, also written `bullmq/redis`), its name (`bullmq`), its database (`postgres`)
 * or its adapter file name (`bullmq-redis`, `raw-sqlite`, `pgboss`, `graphile`).
 */
function select(list) {
  if (!list || list === 'all') return SYSTEMS.slice();
  const tokens = list.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  const picked = SYSTEMS.filter((s) =>
    tokens.some((raw) => {
      const t = raw.replace('/', ':');
      if (t.includes(':')) {
        const [n, d] = t.split(':');
        return (ALIASES[n] || n) === s.name && (ALIASES[d] || d) === s.db;
      }
      const a = ALIASES[t] || t;
      return a === s.name || a === s.db || t === s.file;
    }),
  );
  const unknown = tokens.filter(
    (raw) =>
      !SYSTEMS.some((s) => {
        const t = raw.replace('/', ':');
        if (t.includes(':')) {
          const [n, d] = t.split(':');
          return (ALIASES[n] || n) === s.name && (ALIASES[d] || d) === s.db;
        }
        const a = ALIASES[t] || t;
        return a === s.name || a === s.db || t === s.file;
      }),
  );
  if (unknown.length) throw new Error(`--systems: unknown ${unknown.join(', ')}; known: ${SYSTEMS.map((s) => s.id).join(', ')}`);
  return picked;
}

module.exports = { SYSTEMS, select };
