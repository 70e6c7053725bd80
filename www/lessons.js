// The lessons, as data: the text is ours, the knobs come from the Rust core (names, units,
// defaults and ranges are never repeated here), and each lesson says how to chart, tabulate and
// sum up its report. Scenario lessons share one shape (`scenarioLesson`); a new lesson is a new
// entry in LESSONS.

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const num = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** The variant of `report` called `name` (or undefined). */
const variant = (report, name) => report.variants.find((v) => v.name === name);

/**
 * A lesson over a scenario of the core (`cachelab scenarios` lists them): its knobs come from the
 * scenario's metadata, every variant is run and overlaid in each chart.
 */
function scenarioLesson({ id, scenario = id, title, text, notice }) {
  return {
    id,
    title,
    text,
    scenario,
    runFn: 'scenarioStart',
    runArgs: (params, seed) => [scenario, params, seed],
    charts: (r) =>
      [
        ['hit_ratio', 'hit ratio (%)', (x) => 100 * x],
        ['db_qps', 'database queries per second', (x) => x],
        ['p99_ms', 'p99 latency (ms)', (x) => x],
      ].map(([field, yLabel, scale]) => ({
        title: yLabel,
        x: r.variants[0]?.series.t_s ?? [],
        xLabel: 'simulated time (s)',
        yLabel,
        series: r.variants.map((v) => ({ label: v.name, values: v.series[field].map(scale) })),
      })),
    table: (r) => ({
      head: ['variant', 'requests', 'L1 hits', 'L2 hits', 'misses', 'DB queries', 'max DB in flight', 'hit ratio', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'stale reads'],
      rows: r.variants.map(({ name, summary: s }) => [
        name, s.requests, s.l1_hits, s.l2_hits, s.misses, s.db_queries, s.max_db_in_flight, pct(s.hit_ratio),
        num(s.latency_ms.p50), num(s.latency_ms.p99), num(s.latency_ms.max), s.errors, s.stale_reads,
      ]),
    }),
    csv: (r) => {
      const lines = ['variant,t_s,hit_ratio,db_qps,p99_ms'];
      for (const v of r.variants) {
        v.series.t_s.forEach((t, i) => lines.push([v.name, t, v.series.hit_ratio[i], v.series.db_qps[i], v.series.p99_ms[i]].join(',')));
      }
      return `${lines.join('\n')}\n`;
    },
    notice: (r) => notice(r),
  };
}

/** "name: N database queries" for each variant, as one sentence. */
const dbQueriesByVariant = (r) => r.variants.map((v) => `${v.name}: ${v.summary.db_queries}`).join(', ');

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
    runArgs: (params, seed) => [params, seed],
    charts: (r) => [{
      title: 'LRU hit ratio by capacity',
      x: r.points.map((p) => p.capacity),
      xLabel: 'L1 capacity (entries, log scale)',
      yLabel: 'hit ratio (%)',
      xLog: true,
      series: [{ label: 'LRU hit ratio', values: r.points.map((p) => 100 * p.hit_ratio) }],
    }],
    table: (r) => ({
      head: ['capacity', 'hits', 'misses', 'hit ratio'],
      rows: r.points.map((p) => [p.capacity, p.hits, p.misses, pct(p.hit_ratio)]),
    }),
    csv: (r) => `capacity,hits,misses,hit_ratio\n${r.points.map((p) => [p.capacity, p.hits, p.misses, p.hit_ratio].join(',')).join('\n')}\n`,
    notice: (r) => {
      const keys = r.params.keys;
      const tenth = r.points.find((p) => p.capacity >= keys / 10) ?? r.points[r.points.length - 1];
      return `Holding ${tenth.capacity} of ${keys} keys (${pct(tenth.capacity / keys)} of them) serves ${pct(tenth.hit_ratio)} of requests from L1.`;
    },
  },
  {
    id: 'console',
    title: 'Redis console',
    kind: 'console',
    text: [
      'L2 in cachelab is a model of Redis that runs inside this page. Type commands as you would in redis-cli: SET, GET, EXPIRE, TTL, INCR, SADD, HSET, ZADD, SCAN, INFO and more; replies look as redis-cli prints them.',
      'Time here is simulated: it stands still until you advance it with the buttons or with DEBUG SLEEP seconds. Give a key a TTL (SET k v EX 10), advance, and watch it count down and vanish — Redis removes expired keys lazily when they are touched, and in a background cycle ten times a second.',
    ],
  },
  scenarioLesson({
    id: 'stampede',
    title: 'Stampede: one hot key expires',
    text: [
      'A popular key is cached with a TTL. While it is fresh, the database hardly sees a request. The moment it expires, every request that arrives before someone has put it back finds nothing in the cache — and each one asks the database for the same row.',
      'That burst is the stampede (or thundering herd): a slow query multiplied by the number of concurrent requests, exactly when the cache was supposed to protect the database.',
      'The fixes differ in who waits. A lock (SET with NX and an expiry) lets one request rebuild while the others poll the cache and fall back to the database only after a bound. Singleflight merges concurrent loads inside one process. XFetch refreshes early, with a probability that grows as expiry nears, so the key rarely expires at all. Stale-while-revalidate keeps serving the old value for a grace period while exactly one refresh runs.',
    ],
    notice: (r) => `Database queries per variant — ${dbQueriesByVariant(r)}.`,
  }),
  scenarioLesson({
    id: 'avalanche',
    title: 'Avalanche: everything expires at once',
    text: [
      'Warm a cache with many keys in one go and give them all the same TTL, and they will all expire in the same instant. The cache goes from full to empty at once, and the database takes the whole load in a spike.',
      'Jitter spreads the deadlines: each key gets its TTL plus or minus a random share, so expiries — and the reloads they cause — are spread over a window instead of a single moment. Early refresh goes further and reloads keys shortly before they expire.',
    ],
    notice: (r) => {
      const peaks = r.variants.map((v) => `${v.name}: ${Math.max(0, ...v.series.db_qps)} queries/s`);
      return `Peak database load — ${peaks.join(', ')}.`;
    },
  }),
  scenarioLesson({
    id: 'penetration',
    title: 'Penetration: asking for keys that do not exist',
    text: [
      'A cache only remembers what it found. Ask for a key that does not exist and there is nothing to store, so the next request for it goes to the database again — every time. A buggy client or an attacker who walks through random ids turns the cache into a pass-through.',
      'Negative caching stores "not found" too, with a short TTL so that a row created later shows up soon. A Bloom filter of the keys that do exist answers "certainly not here" for most missing keys before any tier is asked; it costs a few bits per key and lets a small share of false positives through.',
    ],
    notice: (r) => `Database queries per variant — ${dbQueriesByVariant(r)}.`,
  }),
];
