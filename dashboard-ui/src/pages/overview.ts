import uPlot from 'uplot';
import { get } from '../api';
import { h, link, ms, replace, table } from '../dom';
import { Stats, STATUSES } from '../types';
import { View } from '../view';

/** Counts per status and queue, throughput and failures over the last hour, and time percentiles per task. */
export function overview(): View {
  const totals = h('div', { className: 'cards' });
  const queues = h('section', {});
  const throughputChart = h('div', { className: 'chart', id: 'throughput-chart' });
  const percentileChart = h('div', { className: 'chart', id: 'runtime-chart' });
  const percentileTable = h('section', {});
  let throughput: uPlot | null = null;
  let runtime: uPlot | null = null;
  const element = h('div', {}, h('h1', {}, 'Overview'), totals, queues,
    h('h2', {}, 'Throughput and failures (last hour)'), throughputChart,
    h('h2', {}, 'Run time per task (p50 / p90, last hour)'), percentileChart, percentileTable);

  return {
    element,
    async refresh() {
      const stats = await get<Stats>('stats');
      const byStatus = new Map<string, number>();
      const byQueue = new Map<string, Map<string, number>>();
      for (const { queueName, status, count } of stats.counts) {
        byStatus.set(status, (byStatus.get(status) ?? 0) + count);
        const queue = byQueue.get(queueName) ?? new Map<string, number>();
        queue.set(status, count);
        byQueue.set(queueName, queue);
      }
      replace(totals, STATUSES.map((status) => link(`#/tasks?status=${status}`,
        h('div', { className: `card status-${status.toLowerCase()}`, 'data-count': status },
          h('span', { className: 'count' }, String(byStatus.get(status) ?? 0)), h('span', { className: 'label' }, status)))));
      replace(queues, h('h2', {}, 'Queues'), table(['Queue', ...STATUSES], [...byQueue.entries()].map(([name, counts]) => h('tr', { 'data-queue': name },
        h('td', {}, link(`#/tasks?queue=${encodeURIComponent(name)}`, name)),
        STATUSES.map((status) => h('td', { className: 'number' }, counts.get(status) ? link(`#/tasks?queue=${encodeURIComponent(name)}&status=${status}`, String(counts.get(status))) : '0'))))));

      const now = Date.now() / 1000;
      const xs = stats.throughput.map((bucket) => now - bucket.secondsAgo);
      const data: uPlot.AlignedData = [xs, stats.throughput.map((b) => b.succeeded), stats.throughput.map((b) => b.failed)];
      if (!throughput) {
        throughput = new uPlot({
          width: chartWidth(throughputChart), height: 220,
          series: [{}, { label: 'Succeeded', stroke: '#2e7d32', fill: 'rgba(46,125,50,0.15)' }, { label: 'Failed', stroke: '#c62828', fill: 'rgba(198,40,40,0.15)' }],
          axes: [{}, { label: `tasks per ${Math.round(stats.bucketSeconds)} s` }],
        }, data, throughputChart);
      } else throughput.setData(data);

      const names = stats.tasks.map((task) => task.taskName);
      const bars: uPlot.AlignedData = [names.map((_, index) => index), stats.tasks.map((t) => t.runTimeMs.p50), stats.tasks.map((t) => t.runTimeMs.p90)];
      if (runtime && runtime.data[0].length !== names.length) {
        runtime.destroy();
        runtime = null;
      }
      if (names.length > 0) {
        // Side by side around each task's tick: p50 to the left, p90 to the right.
        const leftBars = uPlot.paths.bars!({ size: [0.3, 50], align: -1 });
        const rightBars = uPlot.paths.bars!({ size: [0.3, 50], align: 1 });
        if (!runtime) {
          runtime = new uPlot({
            width: chartWidth(percentileChart), height: 220,
            scales: { x: { time: false, range: [-0.5, names.length - 0.5] } },
            series: [{ label: 'task', value: (_u, index) => names[Math.round(index)] ?? '' },
              { label: 'p50 run time (ms)', stroke: '#1565c0', fill: 'rgba(21,101,192,0.5)', paths: leftBars, points: { show: false } },
              { label: 'p90 run time (ms)', stroke: '#ef6c00', fill: 'rgba(239,108,0,0.5)', paths: rightBars, points: { show: false } }],
            axes: [{ splits: () => names.map((_, index) => index), values: (_u, splits) => splits.map((index) => names[index] ?? '') }, { label: 'ms' }],
          }, bars, percentileChart);
        } else runtime.setData(bars);
      } else replace(percentileChart, h('p', { className: 'empty' }, 'No task finished in the last hour.'));

      replace(percentileTable, table(['Task', 'Finished', 'Queue p50', 'Queue p90', 'Queue p99', 'Run p50', 'Run p90', 'Run p99', 'Run max'],
        stats.tasks.map((task) => h('tr', {}, h('td', {}, link(`#/tasks?task=${encodeURIComponent(task.taskName)}`, task.taskName)),
          h('td', { className: 'number' }, String(task.finished)),
          [task.queueTimeMs.p50, task.queueTimeMs.p90, task.queueTimeMs.p99, task.runTimeMs.p50, task.runTimeMs.p90, task.runTimeMs.p99, task.runTimeMs.max]
            .map((value) => h('td', { className: 'number' }, ms(value)))))));
    },
  };
}

function chartWidth(element: HTMLElement): number {
  return Math.max(320, Math.min(1100, (element.parentElement?.clientWidth ?? 900) - 8));
}
