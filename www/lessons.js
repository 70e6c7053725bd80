// The lessons, as data: the text is ours, the knobs come from the Rust core (names, units,
// defaults and ranges are never repeated here), and each lesson says how to chart, tabulate and
// sum up its report.

const pct = (x) => `${(100 * x).toFixed(1)} %`;

export const LESSONS = [
  {
    id: 'capacity',
    title: 'How big should L1 be?',
    text: [
      'An in-process cache (L1) keeps the most recently used entries in memory. When it is full, the entry used longest ago makes room: that is LRU.',
      'Real traffic is skewed: a few keys are asked for all the time, most keys rarely. With a Zipf workload, a small cache already catches the popular keys, and each doubling of the capacity buys less than the one before.',
      'Change the skew: at 0 every key is equally popular and the hit ratio grows only in proportion to the capacity.',
    ],
    paramsFn: 'l1CurveParams',
    runFn: 'l1CurveStart',
    chart: (r) => ({
      x: r.points.map((p) => p.capacity),
      xLabel: 'L1 capacity (entries, log scale)',
      yLabel: 'hit ratio (%)',
      xLog: true,
      series: [{ label: 'LRU hit ratio', values: r.points.map((p) => 100 * p.hit_ratio) }],
    }),
    table: (r) => ({
      head: ['capacity', 'hits', 'misses', 'hit ratio'],
      rows: r.points.map((p) => [p.capacity, p.hits, p.misses, pct(p.hit_ratio)]),
    }),
    notice: (r) => {
      const keys = r.params.keys;
      const tenth = r.points.find((p) => p.capacity >= keys / 10) ?? r.points[r.points.length - 1];
      return `Holding ${tenth.capacity} of ${keys} keys (${pct(tenth.capacity / keys)} of them) serves ${pct(tenth.hit_ratio)} of requests from L1.`;
    },
  },
];
