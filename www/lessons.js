// The lessons, as data: the text is ours, the knobs come from the Rust core (names, units,
// defaults and ranges are never repeated here), and each lesson says how to chart, tabulate and
// sum up its report. Scenario lessons share one shape (`scenarioLesson`); a new lesson is a new
// entry in LESSONS.

import { missClassBars } from './inside.js';

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const num = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** The variant of `report` called `name` (or undefined). */
const variant = (report, name) => report.variants.find((v) => v.name === name);

/** The default table of a scenario lesson: each variant's summary, under the core's definition of its hit ratio. */
const summaryTable = (r) => ({
  caption: r.hit_ratio_definition,
  head: ['variant', 'requests', 'L1 hits', 'L2 hits', 'waited', 'misses', 'DB queries', 'max DB in flight', 'hit ratio', 'p50 ms', 'p99 ms', 'max ms', 'failed requests', 'stale reads', 'fallbacks', 'coalesced'],
  rows: r.variants.map(({ name, summary: s }) => [
    name, s.requests, s.l1_hits, s.l2_hits, s.waited, s.misses, s.db_queries, s.max_db_in_flight, pct(s.hit_ratio),
    num(s.latency_ms.p50), num(s.latency_ms.p99), num(s.latency_ms.max), s.errors, s.stale_reads, s.fallbacks, s.coalesced,
  ]),
});

/**
 * A lesson over a scenario of the core (`cachelab scenarios` lists them): its knobs come from the
 * scenario's metadata, every variant is run and overlaid in each chart. A lesson whose numbers the
 * summary table does not show brings its own `table`.
 */
function scenarioLesson({ id, scenario = id, title, text, notice, mainParams, defaults = {}, charts = timeCharts, table = summaryTable }) {
  // coursepage: failed requests get a chart of their own whenever a run has any.
  const withFailures = (r) => [...charts(r), ...failedCharts(r)];
  return {
    id,
    title,
    text,
    scenario,
    mainParams,
    defaults,
    runFn: 'scenarioStart',
    runArgs: (params, seed) => [scenario, params, seed],
    charts: withFailures,
    table,
    csv: (r) => {
      const lines = ['variant,t_s,hit_ratio,db_qps,p99_ms'];
      for (const v of r.variants) {
        v.series.t_s.forEach((t, i) => lines.push([v.name, t, v.series.hit_ratio[i], v.series.db_qps[i], v.series.p99_ms[i]].join(',')));
      }
      return `${lines.join('\n')}\n`;
    },
    // The headline says what the run shows; the hit ratio's definition is the table's caption and
    // the monitor's alerts are in the monitoring panel (www/monitoring.js).
    notice,
  };
}

/** Failed requests per second, every variant overlaid — only for a run in which some failed. */
function failedCharts(r) {
  if (!r.variants?.some((v) => v.summary?.errors > 0 && v.series?.errors)) return [];
  const bucketS = r.params.bucket_ms / 1000;
  return [{
    title: 'failed requests per second',
    x: r.variants[0].series.t_s,
    xLabel: 'simulated time (s)',
    yLabel: 'failed requests per second',
    step: bucketS,
    series: r.variants.map((v) => ({ label: v.name, values: (v.series.errors ?? []).map((n) => n / bucketS) })),
  }];
}

/** The moment of a schema deploy, as a chart mark. */
const deployMarks = (r) => {
  const d = r.variants[0]?.schema_deploy;
  return d ? [{ x: d.deploy_at_s, label: 'deploy' }] : [];
};

/** The consistency scenario's own numbers: what readers saw, what writes cost, what a crash lost. */
const consistencyTable = (r) => ({
  caption: r.hit_ratio_definition,
  head: ['variant', 'writes', 'DB write statements', 'DB queries', 'hit ratio', 'failed requests', 'stale reads', 'put-backs', 'refused fills', 'most versions behind', 'longest behind (ms)', 'refreshes', 'lost writes'],
  rows: r.variants.map(({ name, summary: s, consistency: c }) => [
    name, c.writes, c.db_writes, s.db_queries, pct(s.hit_ratio), s.errors, c.stale_reads, c.put_backs, c.refused_fills,
    c.max_versions_behind, num(c.max_stale_ms), c.refreshes, c.write_behind ? c.write_behind.lost_writes : '—',
  ]),
});

/** The moments the hot key expired (in the variant without protection), as chart marks. */
const expiryMarks = (r) => ((variant(r, 'none') ?? r.variants[0])?.hot_key?.expiries_s ?? []).map((x) => ({ x, label: 'expired' }));

/** `f` of a bucket's value, or null (a gap in the chart) for a bucket without one: no requests. */
const orGap = (f) => (x) => (x === null ? null : f(x));

/** Hit ratio, database load and p99 latency over simulated time, every variant overlaid. */
function timeCharts(r) {
  return [
    ['hit_ratio', 'hit ratio (%)', orGap((x) => 100 * x)],
    ['db_qps', 'database queries per second', (x) => x],
    ['p99_ms', 'p99 latency (ms)', orGap((x) => x)],
  ].map(([field, yLabel, scale]) => ({
    title: yLabel,
    x: r.variants[0]?.series.t_s ?? [],
    xLabel: 'simulated time (s)',
    yLabel,
    // Each value covers its bucket, so an expiry mark sits over the bucket it happened in.
    step: r.params.bucket_ms / 1000,
    marks: [...expiryMarks(r), ...deployMarks(r)],
    series: r.variants.map((v) => ({ label: v.name, values: v.series[field].map(scale) })),
  }));
}

/** Where reads were answered — L1, L2 or the database — over time, in the first variant. */
function layerCharts(r) {
  return r.variants.slice(0, 1).map((v) => ({
    title: `where reads were answered: ${v.name}`,
    x: v.series.t_s,
    xLabel: 'simulated time (s)',
    yLabel: 'share of reads (%)',
    series: [
      { label: 'L1', values: v.series.l1_hit_ratio.map(orGap((x) => 100 * x)) },
      { label: 'L2', values: v.series.l2_hit_ratio.map(orGap((x) => 100 * x)) },
      { label: 'database', values: v.series.hit_ratio.map(orGap((x) => 100 * (1 - x))) },
    ],
  }));
}

/** The rate-limit run's moments: the burst, the outage and the admin reset, as chart marks. */
const limitMarks = (r) => {
  const l = r.variants[0]?.ratelimit;
  if (!l) return [];
  return [
    { x: r.params.burst_at_s, label: 'burst' },
    { x: l.outage.from_s, label: 'L2 down' },
    { x: l.outage.to_s, label: 'L2 back' },
    { x: l.reset.at_s, label: 'reset a1' },
  ].filter((m) => m.x < r.params.duration_s);
};

/** Admitted and refused requests per second, every limiter overlaid. */
function limitCharts(r) {
  return [
    ['admitted requests per second', (v) => v.series.db_qps],
    ['refused requests (429) per second', (v) => v.ratelimit.rejected_per_s],
  ].map(([yLabel, values]) => ({
    title: yLabel,
    x: r.variants[0]?.series.t_s ?? [],
    xLabel: 'simulated time (s)',
    yLabel,
    marks: limitMarks(r),
    series: r.variants.map((v) => ({ label: v.name, values: values(v) })),
  }));
}

/** "name: N database queries" for each variant, as one sentence. */
const dbQueriesByVariant = (r) => r.variants.map((v) => `${v.name}: ${v.summary.db_queries}`).join(', ');

/** Database queries a variant issued in its first simulated second. */
const firstSecondQueries = (r, v) => {
  const bucketS = r.params.bucket_ms / 1000;
  return Math.round(v.series.t_s.reduce((sum, t, i) => (t < 1 ? sum + v.series.db_qps[i] * bucketS : sum), 0));
};

/** Stale reads per second next to hit ratio, database load and p99, every variant overlaid. */
function multilayerCharts(r) {
  return [perSecondChart(r, 'stale reads per second', (v) => v.multilayer?.stale_reads), ...timeCharts(r)];
}

/** A chart of a per-bucket count of each variant (`pick`), as a rate per second. */
function perSecondChart(r, title, pick) {
  const bucketS = r.params.bucket_ms / 1000;
  return {
    title,
    x: r.variants[0]?.series.t_s ?? [],
    xLabel: 'simulated time (s)',
    yLabel: title,
    series: r.variants.map((v) => ({ label: v.name, values: (pick(v) ?? []).map((n) => n / bucketS) })),
  };
}

/** The writes lesson's subject over time: stale reads and put-backs per second, then the usual charts. */
function consistencyCharts(r) {
  return [
    perSecondChart(r, 'stale reads per second', (v) => v.consistency?.stale_reads_per_bucket),
    perSecondChart(r, 'put-backs per second', (v) => v.consistency?.put_backs_per_bucket),
    ...timeCharts(r),
  ];
}

/** Per variant: each layer's own hit ratio, the instances' L1s, staleness, the messages and the database's load. */
const multilayerTable = (r) => ({
  head: ['variant', 'L1 hit ratio', 'L2 hit ratio', 'L1 hit ratio per instance', 'DB reads', 'failed requests', 'stale reads', 'of those from L1', 'longest staleness ms', 'outdated L1 copies at the end (oldest ms)', 'messages sent / delivered', 'DB queries (the reads + the writes)', 'DB queries in the first second'],
  rows: r.variants.map((v) => {
    const m = v.multilayer;
    const [l1, l2, db] = m.layers;
    return [
      v.name, pct(l1.hit_ratio), pct(l2.hit_ratio), m.per_instance.map((i) => pct(i.l1_hit_ratio)).join(' / '), db.hits,
      v.summary.errors, v.summary.stale_reads, l1.stale_reads, num(m.max_stale_ms),
      `${m.outdated_l1_copies_at_end} (${num(m.oldest_outdated_l1_copy_ms)})`, m.broadcast ? `${m.broadcast.sent} / ${m.broadcast.delivered}` : '—',
      v.summary.db_queries, firstSecondQueries(r, v),
    ];
  }),
});

/** Names held in all tag sets, and L2's memory, at the end of each bucket, every variant overlaid. */
function tagCharts(r) {
  const bucketS = r.params.bucket_ms / 1000;
  const ends = (r.variants[0]?.series.t_s ?? []).map((t) => t + bucketS);
  return [
    ['names in all tag sets', (t) => t.tag_members],
    ['L2 memory (kB)', (t) => t.used_memory_bytes.map((b) => b / 1000)],
  ].map(([yLabel, values]) => ({
    title: yLabel,
    x: ends,
    xLabel: 'simulated time (s)',
    yLabel,
    marks: [{ x: r.params.ttl_s, label: 'first pages expire' }],
    series: r.variants.map((v) => ({ label: v.name, values: values(v.tags) })),
  }));
}

/** A run's fault windows (degradation's outage and slow window), as chart marks. */
const faultMarks = (r) => {
  const d = r.variants[0]?.degradation;
  if (!d) return [];
  return [
    ...(d.outage ? [{ x: d.outage.from_s, label: 'L2 down' }, { x: d.outage.to_s, label: 'L2 back' }] : []),
    ...(d.slow ? [{ x: d.slow.from_s, label: 'L2 slow' }, { x: d.slow.to_s, label: 'L2 fast' }] : []),
  ];
};

/** Database load against its pool's capacity, p99 and failed requests per second, every client overlaid. */
function degradationCharts(r) {
  const x = r.variants[0]?.series.t_s ?? [];
  const perS = r.params.bucket_ms / 1000;
  const capacity = r.variants[0]?.degradation.db_capacity_qps ?? 0;
  const chart = (title, series) => ({ title, x, xLabel: 'simulated time (s)', yLabel: title, marks: faultMarks(r), series });
  return [
    chart('database queries per second', [
      ...r.variants.map((v) => ({ label: v.name, values: v.series.db_qps })),
      { label: 'what the pool serves', values: x.map(() => capacity) },
    ]),
    chart('p99 latency (ms)', r.variants.map((v) => ({ label: v.name, values: v.series.p99_ms }))),
    chart('failed requests per second', r.variants.map((v) => ({ label: v.name, values: v.series.errors.map((e) => e / perS) }))),
  ];
}

/** Used memory against maxmemory, evictions per second and hit ratio, every policy overlaid. */
function memoryCharts(r) {
  const x = r.variants[0]?.series.t_s ?? [];
  const max = (r.variants[0]?.memory.maxmemory_bytes ?? 0) / 1e6;
  const chart = (title, series) => ({ title, x, xLabel: 'simulated time (s)', yLabel: title, marks: alertMarks(r), series });
  return [
    chart('L2 used memory (MB)', [
      ...r.variants.map((v) => ({ label: v.name, values: v.memory.used_memory_bytes.map((b) => b / 1e6) })),
      { label: 'maxmemory', values: x.map(() => max) },
    ]),
    chart('evictions per second', r.variants.map((v) => ({ label: v.name, values: v.memory.evicted_per_s }))),
    chart('hit ratio (%)', r.variants.map((v) => ({ label: v.name, values: v.series.hit_ratio.map(orGap((h) => 100 * h)) }))),
  ];
}

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
    id: 'eviction',
    title: 'Which eviction policy?',
    kind: 'replay',
    text: [
      'When a cache is full, its eviction policy decides what to drop. LRU drops what was used longest ago; FIFO what came in first; CLOCK and SIEVE are FIFOs that spare objects used since they were last looked at; S3-FIFO sends new objects through a small probation queue first, because most of them are never asked for again; LFU counts uses; ARC balances recency and frequency by itself.',
      'The only honest way to choose is to replay real requests. Belady — evict what will be needed furthest in the future — needs to know the future, so no cache can run it, but it shows how far from perfect each policy is.',
      'The counts follow the rules of the libCacheSim simulator, so they can be compared with published results. Try your own trace: it is read here, in your browser, and never uploaded.',
    ],
    charts: (r) => {
      const policies = [...new Set(r.rows.map((row) => row.policy))];
      const unit = r.rows[0]?.unit ?? 'objects';
      // LRU's exact curve (every capacity, from stack distances) is drawn as a line over the
      // policies' points; the x axis holds both sets of capacities.
      const exact = r.lru_exact ?? [];
      const x = [...new Set([...r.rows.map((row) => row.capacity), ...exact.map((p) => p.capacity)])].sort((a, b) => a - b);
      const at = (points, c) => points.find((p) => p.capacity === c);
      const charts = [{
        title: `miss ratio against cache size — ${r.trace}`,
        x,
        xLabel: `cache size (${unit}, log scale)`,
        yLabel: 'miss ratio (%)',
        xLog: true,
        // Each policy has values at its own sizes only; join them across the others' sizes.
        spanGaps: true,
        series: [
          ...policies.map((p) => ({
            label: p,
            values: x.map((c) => {
              const row = r.rows.find((row) => row.policy === p && row.capacity === c);
              return row ? 100 * row.miss_ratio : null;
            }),
          })),
          ...(exact.length ? [{ label: 'LRU, every size (exact)', line: true, values: x.map((c) => (at(exact, c) ? 100 * at(exact, c).miss_ratio : null)) }] : []),
        ],
      }];
      const a = r.analysis;
      if (a) {
        charts.push({
          title: `popularity: requests per key by rank (Zipf exponent ${a.zipf_exponent.toFixed(2)})`,
          x: a.popularity.map((p) => p.rank),
          xLabel: 'rank of the key (log scale)',
          yLabel: 'requests (log scale)',
          xLog: true,
          yLog: true,
          series: [{ label: 'requests', values: a.popularity.map((p) => p.requests) }],
        });
        charts.push({
          title: 'reuse distance: distinct keys requested since the same key was last requested',
          x: a.reuse_distances.map((b) => b.to),
          xLabel: 'reuse distance, up to (keys, log scale)',
          yLabel: 'requests',
          xLog: true,
          series: [{ label: 'requests', values: a.reuse_distances.map((b) => b.count) }],
        });
        charts.push({
          title: 'working set over the trace',
          x: a.working_set.map((w) => w.requests),
          xLabel: 'requests so far',
          yLabel: 'distinct keys',
          series: [
            { label: `in each window of ${Math.round(a.requests / a.working_set.length)} requests`, values: a.working_set.map((w) => w.window_keys) },
            { label: 'since the start', values: a.working_set.map((w) => w.keys_so_far) },
          ],
        });
      }
      return charts;
    },
    table: (r) => {
      // One row per cache size, one column per policy: the miss ratio (the CSV has the counts).
      const policies = [...new Set(r.rows.map((row) => row.policy))];
      const caps = [...new Set(r.rows.map((row) => row.capacity))].sort((a, b) => a - b);
      const cell = (p, c) => r.rows.find((row) => row.policy === p && row.capacity === c);
      return {
        head: [`capacity (${r.rows[0]?.unit ?? 'objects'})`, ...policies.map((p) => `${p} miss ratio`)],
        rows: caps.map((c) => [c, ...policies.map((p) => (cell(p, c) ? pct(cell(p, c).miss_ratio) : '—'))]),
      };
    },
    // The unit is a column of its own: a run has one unit, and the file says which.
    csv: (r) => `policy,capacity,unit,requests,misses,miss_ratio,byte_miss_ratio\n${r.rows.map((row) => [row.policy, row.capacity, row.unit, row.requests, row.misses, row.miss_ratio, row.byte_miss_ratio].join(',')).join('\n')}\n`,
    decorate: (charts, r) => {
      const bars = missClassBars(r);
      if (bars) charts.append(bars);
    },
    notice: (r) => {
      const caps = [...new Set(r.rows.map((row) => row.capacity))].sort((a, b) => a - b);
      const mid = caps[Math.floor(caps.length / 2)];
      const at = r.rows.filter((row) => row.capacity === mid && row.policy !== 'belady').sort((a, b) => a.miss_ratio - b.miss_ratio);
      const lru = at.find((row) => row.policy === 'lru');
      if (!at.length) return '';
      const vsLru = lru && at[0].policy !== 'lru' ? `, against ${pct(lru.miss_ratio)} for LRU` : '';
      const a = r.analysis;
      const shape = a ? ` ${pct(a.one_hit_wonder_share)} of the keys are requested only once; popularity falls with rank like a Zipf law of exponent ${a.zipf_exponent.toFixed(2)}.` : '';
      return `${r.requests} requests for ${r.unique_keys} keys. At ${mid} ${r.rows[0].unit}, the best policy you can run is ${at[0].policy} with a miss ratio of ${pct(at[0].miss_ratio)}${vsLru}.${shape}`;
    },
  },
  {
    id: 'inside',
    title: 'Inside a policy',
    kind: 'inside',
    text: [
      'A miss-ratio curve shows which policy wins, not why. Here you send a short sequence of keys to a small cache one request at a time and watch the structures each policy keeps: LRU\'s and FIFO\'s queue, CLOCK\'s ring with its reference bits and hand, SIEVE\'s queue with visited bits and a hand that stays where it stopped, S3-FIFO\'s small, main and ghost queues, LFU\'s counts, ARC\'s four lists and its target p, W-TinyLFU\'s window and main segments with the frequency sketch\'s estimates, and Belady\'s knowledge of when each object comes back.',
      'Each step says whether the request hit, what came in, what went out, and the rule that chose it. Put two policies side by side on the same sequence. In a loop one key larger than the cache, nothing is requested twice before it goes, so LRU, FIFO, CLOCK and SIEVE miss every request while Belady hits about half. A scan of new keys washes LRU\'s hot set out; SIEVE, S3-FIFO, LFU and ARC keep it. Bursts of one-hit wonders push LRU\'s and FIFO\'s popular keys out at every burst; SIEVE, LFU and ARC keep them.',
      'Turn on “predict the victim” to guess before each evicting miss which object will go.',
    ],
  },
  {
    id: 'console',
    title: 'Redis console',
    kind: 'console',
    text: [
      'L2 in cachelab is a model of Redis 7.0 that runs inside this page. Type commands as you would in redis-cli: strings, lists, sets, hashes, sorted sets, SCAN, MULTI/EXEC, SELECT, INFO, OBJECT and MEMORY USAGE; replies look as redis-cli prints them. HELP lists every command the model knows, HELP SET explains one; what it leaves out (persistence, Lua, blocking waits without a timeout) answers with an error that says why.',
      'The buttons below the console are the commands of the chapter\'s CacheService (SETEX, SET … NX EX, EXISTS, SCAN, INFO stats), a write-behind queue and a transaction: click one and read the replies.',
      'Time here is simulated: it stands still until you advance it with the buttons or with DEBUG SLEEP seconds. Give a key a TTL (SET k v EX 10), advance, and watch it count down and vanish — Redis removes expired keys lazily when they are touched, and in a background cycle ten times a second.',
    ],
  },
  scenarioLesson({
    id: 'stampede',
    title: 'Stampede: one hot key expires',
    mainParams: ['duration_s', 'rate', 'ttl_s', 'db_p50_ms', 'db_p99_ms', 'db_pool', 'hot_share', 'lock_polls', 'beta', 'grace_s', 'event_log', 'event_log_from_s'],
    // coursepage: the step log opens 50 ms before the hot key's first expiry (at ttl_s = 5 s), so
    // that at the defaults it shows the stampede itself.
    defaults: { event_log: 2000, event_log_from_s: 4.95 },
    text: [
      'A popular key is cached with a TTL. While it is fresh, the database hardly sees a request. The moment it expires, every request that arrives before someone has put it back finds nothing in the cache — and each one asks the database for the same row.',
      'That burst is the stampede (or thundering herd): a slow query multiplied by the number of concurrent requests, exactly when the cache was supposed to protect the database.',
      'The fixes differ in who waits. A lock (SET with NX and an expiry) lets one request rebuild while the others poll the cache and fall back to the database only after a bound. Singleflight merges concurrent loads inside one process. XFetch refreshes early, with a probability that grows as expiry nears, so the key rarely expires at all. Stale-while-revalidate keeps serving the old value for a grace period while exactly one refresh runs.',
    ],
    notice: (r) => {
      const first = (name) => {
        const h = variant(r, name)?.hot_key;
        return h && h.loads_per_expiry.length ? h.loads_per_expiry[0] + h.fallbacks_per_expiry[0] : null;
      };
      const at = variant(r, 'none')?.hot_key?.expiries_s[0];
      if (at === undefined) return `Database queries per variant — ${dbQueriesByVariant(r)}.`;
      const others = r.variants.filter((v) => v.name !== 'none').map((v) => `${v.name}: ${first(v.name) ?? 0}`);
      return `When the hot key expired at ${at} s, it sent ${first('none')} queries to the database without protection — against ${others.join(', ')} with the fixes.`;
    },
  }),
  scenarioLesson({
    id: 'avalanche',
    title: 'Avalanche: everything expires at once',
    mainParams: ['duration_s', 'rate', 'keys', 'ttl_s', 'db_p50_ms', 'db_pool', 'jitter', 'early_beta', 'event_log'],
    text: [
      'Warm a cache with many keys in one go and give them all the same TTL, and they will all expire in the same instant. The cache goes from full to empty at once, and the database takes the whole load in a spike.',
      'Jitter spreads the deadlines: each key gets its TTL plus or minus a random share, so expiries — and the reloads they cause — are spread over a window instead of a single moment. Early refresh goes further and reloads keys shortly before they expire.',
    ],
    notice: (r) => {
      const peak = (v) => Math.max(0, ...v.series.db_qps);
      const peaks = r.variants.map((v) => `${v.name}: ${peak(v)} queries/s`);
      const [fixed, jitter] = [variant(r, 'fixed-ttl'), variant(r, 'jitter')];
      const ratio = fixed && jitter && peak(jitter) > 0 ? ` — jitter cuts the peak ${(peak(fixed) / peak(jitter)).toFixed(1)}×` : '';
      return `Peak database load — ${peaks.join(', ')}${ratio}.`;
    },
  }),
  scenarioLesson({
    id: 'penetration',
    title: 'Penetration: asking for keys that do not exist',
    mainParams: ['duration_s', 'rate', 'keys', 'missing_share', 'missing_keys', 'negative_ttl_s', 'bloom_bits_per_key', 'event_log'],
    text: [
      'A cache only remembers what it found. Ask for a key that does not exist and there is nothing to store, so the next request for it goes to the database again — every time. A buggy client or an attacker who walks through random ids turns the cache into a pass-through.',
      'Negative caching stores "not found" too, with a short TTL so that a row created later shows up soon. A Bloom filter of the keys that do exist answers "certainly not here" for most missing keys before any tier is asked; it costs a few bits per key and lets a small share of false positives through.',
    ],
    notice: (r) => {
      const parts = r.variants.map((v) => {
        const m = v.missing_keys;
        return m ? `${v.name}: ${m.db_queries} of ${m.requests}` : `${v.name}: ${v.summary.db_queries}`;
      });
      const bloom = r.variants.find((v) => v.bloom)?.bloom;
      const fpr = bloom ? ` The Bloom filter let ${pct(bloom.measured_fpr)} of missing keys through (expected ${pct(bloom.expected_fpr)}).` : '';
      return `Database queries caused by reads for missing keys — ${parts.join(', ')}.${fpr}`;
    },
  }),
  scenarioLesson({
    id: 'schema-deploy',
    title: 'Schema deploy: old values in a new code\'s cache',
    mainParams: ['duration_s', 'rate', 'keys', 'ttl_s', 'deploy_at_s', 'rollout_s', 'db_p50_ms', 'alert_hit_ratio', 'event_log'],
    text: [
      'A cache outlives the code that filled it. When a deploy changes a cached struct — here a price moves from cents to dollars and an optional stock becomes required — the cache is still full of bytes the old code wrote, and the new code reads them.',
      'Versioned values carry their schema name and version, so the new code recognises an old value, treats it as a miss and replaces it: one reload per key, and never a wrong answer. Plain JSON with no version is read as best the decoder can: some entries fail to decode, and the others decode into nonsense (a price a hundred times too high) that is served until the entry expires. Putting the version in the key (a prefix bump) avoids misreads too, but the new keys start cold and the old ones keep their memory until their TTL ends.',
      'Set rollout_s to a few seconds for a rolling deploy, where old and new instances share the cache: versioned entries then flip back and forth between the two versions, while prefixed keys keep each version to itself.',
    ],
    notice: (r) => {
      const at = r.variants[0]?.schema_deploy?.deploy_at_s;
      const parts = r.variants.map((v) => {
        const d = v.schema_deploy;
        const m = v.monitoring;
        return `${v.name}: ${d.db_queries_after_deploy} reloads, ${d.wrong_values} wrong values served, ${d.decode_errors} decode errors, at most ${m.peak_keys} keys in L2`;
      });
      return `After the deploy at ${at} s — ${parts.join('; ')}.`;
    },
  }),
  scenarioLesson({
    id: 'consistency',
    title: 'Writes: keeping the cache in step',
    mainParams: ['duration_s', 'rate', 'keys', 'skew', 'write_share', 'ttl_s', 'db_p50_ms', 'db_p99_ms', 'batch_size', 'flush_ms', 'crash_at_s', 'refresh_ahead_s'],
    defaults: { crash_at_s: 5 },
    text: [
      'Reading through a cache is the easy half. When a row changes, every copy of it in a cache is now wrong, and each write path decides differently how long it may stay wrong and who pays to fix it. Here readers and writers run at once, and every read is checked against what the database held at the moment the cache answered.',
      'Invalidate: commit to the database, then delete the cached copy. It looks airtight, but watch the put-backs. A reader that missed the cache asks the database, gets the row as it was when its query began, and only then stores it. If a write committed and deleted the key in the meantime, that reader puts the old row back, and every read after it is stale until the next write or the TTL. The slower the database, the wider that window.',
      'Versioned is the fix chosen here: instead of deleting, the write leaves a small marker holding the new version, and every store into the cache is a compare-and-set on the version, so a copy older than the marker is turned away, however late it arrives. A second, delayed delete would only shorten how long the old row is served; a lease needs the same atomic check. The price shows in the database column: a key written faster than it can be loaded stays uncached a little longer.',
      'Write-through updates the database and then writes the new row into the cache itself, so reads after a write still hit; readers only add a row when the key is absent, so they cannot overwrite the writer. Every write costs one database statement. Write-behind answers as soon as the cache holds the new row and queues the database write; a worker flushes the queue in batches, so many writes become few statements and repeated writes of one key collapse. But the queue lives in the process: a crash loses exactly what it held (the report lists those writes), while an orderly shutdown flushes everything first.',
      'Refresh-ahead reloads an entry in the background when it is read shortly before it expires, so popular keys rarely miss on expiry. Its reloads are readers too, and they race with writes in the same way.',
    ],
    table: consistencyTable,
    charts: consistencyCharts,
    notice: (r) => {
      const c = (name) => variant(r, name)?.consistency;
      const [chapter, inv, ver, through, behind] = ['chapter', 'invalidate', 'versioned', 'write-through', 'write-behind'].map(c);
      if (!inv || !ver || !through || !behind) return '';
      const parts = [
        ...(chapter ? [`The chapter's write-through, whose readers fill with a plain SET, had ${chapter.put_backs} put-backs and ${chapter.stale_reads} stale reads; with SET NX fills, ${through.put_backs} and ${through.stale_reads} (${through.refused_fills} late fills turned away).`] : []),
        `With invalidation, slow readers put an old row back ${inv.put_backs} times and ${inv.stale_reads} reads were stale (up to ${inv.max_versions_behind} versions and ${num(inv.max_stale_ms)} ms behind); the versioned set turned ${ver.refused_fills} fills away and served ${ver.stale_reads} stale reads.`,
        `The database ran ${through.db_writes} write statements for ${through.writes} writes through the cache, and ${behind.db_writes} for ${behind.writes} writes behind it.`,
      ];
      const wb = behind.write_behind;
      if (wb?.crash_at_s !== undefined) {
        const listed = wb.lost.slice(0, 3).map((w) => `key ${w.key} v${w.version}`).join(', ');
        parts.push(`The crash at ${wb.crash_at_s} s lost ${wb.lost_writes} queued writes${listed ? ` (${listed}${wb.lost_writes > 3 ? ', …' : ''})` : ''}; the shutdown at the end left ${wb.unflushed_at_end} unflushed.`);
      }
      return parts.join(' ');
    },
  }),
  scenarioLesson({
    id: 'layers',
    scenario: 'stampede',
    title: 'Two layers: L1 in front of L2',
    text: [
      'Every trip to Redis costs a network round trip. An in-process L1 in front of it answers the hottest keys from memory, with no network at all; L2 still catches what L1 has no room for, and the database sees only what both miss.',
      'Here the traffic is spread over many keys with a Zipf skew, L1 holds a few hundred entries with a short TTL, and the charts show which layer answered each share of the reads. Make L1 larger or smaller, or the skew flatter, and watch the shares move.',
    ],
    mainParams: ['duration_s', 'rate', 'keys', 'skew', 'l1_keys', 'l1_ttl_ms', 'ttl_s', 'l2_rtt_ms'],
    defaults: { hot_share: 0, keys: 10000, skew: 1, l1_keys: 500, duration_s: 12 },
    charts: layerCharts,
    notice: (r) => {
      const s = (variant(r, 'none') ?? r.variants[0]).summary;
      return `Of ${s.requests} reads, L1 answered ${pct(s.l1_hits / s.requests)}, L2 ${pct(s.l2_hits / s.requests)} and the database ${pct(s.misses / s.requests)}.`;
    },
  }),
  scenarioLesson({
    id: 'multilayer',
    title: 'Several instances: one L2, many L1s',
    mainParams: ['duration_s', 'rate', 'instances', 'write_share', 'l1_keys', 'l1_ttl_ms', 'broadcast_delay_ms', 'warm_keys', 'db_pool'],
    text: [
      'Run the app on several machines and each process gets its own L1. They all talk to the same Redis (L2) and the same database, but no instance can see into another one\'s memory. A read that misses its L1 and finds the row in L2 copies it into that L1 (promotion), so the next read on the same instance never leaves the process.',
      'Now one instance updates a row. It can delete its own L1 copy and the L2 entry — but the other instances still hold the old row and keep answering with it. Left alone, that copy lives until its L1 TTL ends: the TTL is the only limit on how stale a read can be. The usual cure is a message: after the write, the instance publishes "key changed" on a channel (Redis pub/sub does this), and every instance that hears it drops the key from its L1. The writer listens too, because one of its own reads may have been in flight during the write and put the old row back.',
      'A cluster that has just started has nothing to promote: every first read of a key goes to the database, right when a deploy has already made things busy. Warming loads the most popular keys into L2 and into each L1 before traffic arrives. cold-start and warm-start use the broadcast too. l1-ttl-only and broadcast start as if only the instances had restarted: every key already in L2, the L1s empty; warm-start (at its default warm_keys) starts from that same L2 with the L1s warmed as well, so it differs from broadcast only by warm L1s, while cold-start has nothing at all. Compare the first seconds of cold-start and warm-start, raise broadcast_delay_ms to watch the stale window grow, or lower db_pool to see a cold start overwhelm the database.',
    ],
    table: multilayerTable,
    charts: multilayerCharts,
    notice: (r) => {
      const [chapter, ttl, bc, cold, warm] = ['chapter', 'l1-ttl-only', 'broadcast', 'cold-start', 'warm-start'].map((n) => variant(r, n));
      const parts = [];
      if (chapter) {
        const m = chapter.multilayer;
        parts.push(`The chapter's L1 (no TTL, no invalidation) served ${chapter.summary.stale_reads} stale reads, up to ${num(m.max_stale_ms)} ms behind, and ended the run holding ${m.outdated_l1_copies_at_end} outdated copies, the oldest ${num(m.oldest_outdated_l1_copy_ms)} ms behind: only evictions end them.`);
      }
      if (ttl && bc) {
        const reads = ttl.multilayer.reads;
        parts.push(`With L1 TTLs alone, ${ttl.summary.stale_reads} of ${reads} reads (${pct(ttl.summary.stale_reads / reads)}) returned a row the database had already replaced, up to ${num(ttl.multilayer.max_stale_ms)} ms after the write; with the broadcast, ${bc.summary.stale_reads}, none more than ${num(bc.multilayer.max_stale_ms)} ms.`);
      }
      if (cold && warm) parts.push(`In the first second the database took ${firstSecondQueries(r, cold)} queries after a cold start and ${firstSecondQueries(r, warm)} after a warm one.`);
      return parts.join(' ');
    },
  }),
  scenarioLesson({
    id: 'response-cache',
    title: 'Response cache: what may be stored, and under which key',
    mainParams: ['duration_s', 'rate', 'ttl_s', 'users', 'tracking_share', 'error_share', 'missing_share'],
    text: [
      'A response cache keeps whole HTTP answers in the shared cache and replays them for repeated requests, so the application and its database never see them. Here a small shop API gets listings, product pages, searches, each user\'s order list and order placements; every answer the cache gives is compared with what a working backend would have said to that very request.',
      'Two rules keep the replayed answers right: store only a GET that came back 200, and store a page that depends on who asks only under a key that includes the user. Break one and the damage has a shape: a replayed POST means an order that was never placed; a stored 500 keeps reporting a failure long after the backend recovered; an order list cached under a shared key is shown to the next user who asks.',
      'The key itself decides the hit ratio. Clients spell one request many ways — parameters in another order, campaign tags such as utm_source or fbclid on the link. Sorting the parameters and dropping the tracking ones (but keeping case and everything else the application reads) lets those spellings share one entry; without it, each spelling is a miss of its own, and deleting the plain address no longer removes every copy.',
    ],
    table: (r) => ({
      head: ['variant', 'requests', 'from cache', 'hit ratio', 'failed requests', 'backend calls', 'backend 500s', 'wrong answers', 'orders skipped', 'stored errors served', "other users' data", 'stale data', 'misses on another spelling'],
      rows: r.variants.map(({ name, summary: s, response_cache: c }) => [
        name, s.requests, c.cache_hits, pct(s.hit_ratio), s.errors, c.backend_calls, c.backend_errors, c.wrong_responses,
        c.skipped_posts, c.stale_errors, c.other_users_data, c.stale_data, c.spelling_misses,
      ]),
    }),
    notice: (r) => {
      const c = (name) => variant(r, name)?.response_cache;
      const [ok, raw] = [variant(r, 'correct'), variant(r, 'no-normalise')];
      if (!ok || !raw) return `Wrong answers per variant — ${r.variants.map((v) => `${v.name}: ${v.response_cache.wrong_responses}`).join(', ')}.`;
      const chapter = variant(r, 'chapter');
      const first = chapter
        ? `The chapter's middleware (raw query, no user) answered ${pct(chapter.summary.hit_ratio)} from the cache, showed ${chapter.response_cache.other_users_data} order lists to the wrong user and missed ${chapter.response_cache.spelling_misses} times on an answer stored under another spelling. `
        : '';
      return `${first}With the right rules ${pct(ok.summary.hit_ratio)} of answers came from the cache and ${c('correct').wrong_responses} were wrong. `
        + `Caching POSTs skipped ${c('cache-post')?.skipped_posts ?? 0} orders, caching errors served ${c('cache-errors')?.stale_errors ?? 0} stored failures, `
        + `and a shared key showed ${c('ignore-user')?.other_users_data ?? 0} order lists to the wrong user. `
        + `Raw query strings dropped the hit ratio to ${pct(raw.summary.hit_ratio)} and raised backend calls from ${c('correct').backend_calls} to ${c('no-normalise').backend_calls}.`;
    },
  }),
  scenarioLesson({
    id: 'ratelimit',
    title: 'Rate limiting: four algorithms, two fail modes, one burst',
    mainParams: ['duration_s', 'read_limit', 'write_limit', 'ip_limit', 'window_s', 'abuser_rate', 'burst_requests', 'burst_at_s', 'outage_from_s', 'outage_s', 'reset_at_s'],
    text: [
      'A rate limiter decides, per request, whether this client may call now. Keeping its counts in the shared cache lets every app server see the same numbers. Here signed-in users are counted per user — reads and writes separately — and anonymous scrapers per IP address; a few abusers send three times their quota.',
      'The fixed window is the cheapest: one counter per client and minute. Its flaw sits at the edge of the minute. A client that spends its whole quota in the last second of one window gets a fresh quota a moment later, so within two seconds it passes twice the limit. The burst client here does exactly that — watch the tall bar at the boundary. The sliding-window log remembers every admitted request and never lets more than the limit into any window, at the cost of memory per request; the sliding-window counter weighs the previous window\'s count to get close to that for two counters; the token bucket allows a burst of its capacity and then its refill rate.',
      'Each answer also carries the values a response would send as X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset. When the shared cache is unreachable, the limiter has to guess: fail-open admits everything (abusers included), fail-closed refuses everything (honest users included). And an administrator can clear one client\'s counters to give back its quota at once.',
      'So the table has five rows: the four algorithms, which all fail open, and fail-closed, which is the sliding log again with the other fail mode.',
    ],
    charts: limitCharts,
    table: (r) => ({
      head: ['variant', 'fail mode', 'admitted', 'refused', 'users refused', 'abusers admitted', 'scrapers admitted', 'burst admitted in one window', 'most in one window (user reads)', 'outage: admitted / refused', 'after reset: remaining'],
      rows: r.variants.map(({ name, ratelimit: l }) => [
        name, l.fail_mode, l.admitted, l.rejected, l.clients[0].rejected, l.clients[1].admitted, l.clients[2].admitted,
        l.burst_max_in_window, l.window_peaks[0].max_admitted_in_window,
        `${l.outage.admitted} / ${l.outage.rejected}`, l.reset.after?.remaining ?? '—',
      ]),
    }),
    notice: (r) => {
      const burst = (name) => variant(r, name)?.ratelimit.burst_max_in_window ?? 0;
      const fixed = variant(r, 'fixed-window')?.ratelimit;
      const closed = variant(r, 'fail-closed')?.ratelimit;
      const edge = fixed?.headers.slice(2, 4).map((h) => `${h.remaining} at ${h.t_s} s`).join(' then ') ?? '';
      const outage = closed?.outage.requests ? ` While L2 was down, fail-open admitted all ${closed.outage.requests} requests and fail-closed refused them all, ${closed.clients[0].rejected} from well-behaved users.` : '';
      return `The burst client sent ${r.params.burst_requests} reads around ${r.params.burst_at_s} s against a limit of ${r.params.read_limit}: in one window the fixed window admitted ${burst('fixed-window')}, `
        + `the sliding log ${burst('sliding-log')}, the sliding counter ${burst('sliding-counter')} and the token bucket ${burst('token-bucket')}. `
        + `The fixed window's X-RateLimit-Remaining went ${edge}.${outage}`;
    },
  }),
  scenarioLesson({
    id: 'tags',
    title: 'Tags: flush every page that shows a product',
    mainParams: ['duration_s', 'rate', 'ttl_s', 'update_rate', 'products', 'categories', 'queries'],
    text: [
      'A rendered page is built from many rows. A product appears on its own page, but also on its category\'s listing and in any search result that found it, and each of those is cached under its own key. When the product\'s price changes, deleting its own page is easy; finding every other page that shows it is not, because the keys say nothing about what is inside.',
      'Tags turn the question around. When a page is cached, its key is added to one Redis set per thing it shows — product:17, category:7 — and an update flushes the set: read its members, delete those keys, delete the set. No key needs to be known in advance. Without tags (the no-tags variant) the listings and searches keep the old price until their TTL ends, and every such read counts as stale.',
      'The sets bring a problem of their own. A cached page expires quietly, and nobody removes its name from the sets that list it. A set that is never flushed — here the category sets, since only products change — collects the name of every search page ever served. With a plain SADD the tag sets keep growing as long as the app runs. The bounded variant gives each set a TTL that follows its longest-lived member, and prunes dead names whenever a set has doubled since its last pruning, so it never holds much more than twice its live members. Compare the two curves after the first pages expire, or raise queries to make every search a new key.',
    ],
    charts: tagCharts,
    table: (r) => ({
      head: ['variant', 'reads', 'hit ratio', 'failed requests', 'pages cached', 'updates', 'pages flushed', 'stale reads', 'tag-set names at the end', 'largest tag set', 'L2 memory at the end (kB)'],
      rows: r.variants.map(({ name, summary: s, tags: t }) => [
        name, s.requests - t.updates, pct(s.hit_ratio), s.errors, t.pages_cached, t.updates, t.flushed_pages, t.stale_reads,
        t.tag_members.at(-1) ?? 0, t.largest_tag_set, num((t.used_memory_bytes.at(-1) ?? 0) / 1000),
      ]),
    }),
    notice: (r) => {
      const [bounded, unbounded, none] = ['bounded', 'unbounded', 'no-tags'].map((n) => variant(r, n)?.tags);
      const parts = [];
      if (bounded && unbounded) {
        parts.push(`After ${r.params.duration_s} s the tag sets held ${unbounded.tag_members.at(-1)} names with plain SADD and ${bounded.tag_members.at(-1)} with a TTL and pruning (largest set ${unbounded.largest_tag_set} against ${bounded.largest_tag_set}); both flushes deleted ${bounded.flushed_pages} pages for ${bounded.updates} updates.`);
      }
      if (none) parts.push(`Deleting only the product's own page removed ${none.flushed_pages} pages and left ${none.stale_reads} stale reads of listings and searches.`);
      return parts.join(' ');
    },
  }),
  scenarioLesson({
    id: 'keys',
    title: 'Keys: what the caching decorator folds together and splits apart',
    mainParams: ['duration_s', 'rate', 'ttl_s', 'categories', 'users', 'products', 'missing_users', 'short_digest_hex'],
    text: [
      'A caching decorator turns every call of a function into a key, and everything rests on that key: two calls that need the same answer should land on one key, and two calls that need different answers must never share one. The chapter builds its key from the bare function name and the arguments exactly as the caller wrote them, hashes that text with SHA-256 and keeps 16 hex digits. Type a call in the box to see the text it hashes and the key it gets under each scheme.',
      "Written as given, one call has many keys: get_products('books'), get_products('books', 10) and get_products(category='books') all mean the same query, yet each misses on its own. And a bare name is not an address: users.get_by_id(7) and products.get_by_id(7), both cached without a key_prefix, hash the same text and read each other's value — a wrong value served without an error. The bound-args scheme binds the arguments to the parameter names, fills in the defaults and names the module, so each call has exactly one key.",
      "The decorator also skips cached results that are None, so a user that does not exist is looked up again on every call, and its stored null is rewritten each time; bound-args stores each result inside an envelope, so None is a value like any other. Finally, a digest is a fixed number of bits: with b bits, two different texts share a digest with even odds once there are about 1.18 × 2^(b/2) keys (the birthday bound). Sixteen hex digits (64 bits) put that past five billion keys; the short-digest variant keeps only a few digits and shows the collisions a small bound brings.",
    ],
    table: (r) => ({
      head: ['variant', 'reads', 'hit ratio', 'distinct calls', 'keys', 'wrong values', 'of which digest collisions', 'spelling misses', 'None reloads', 'digest bits', 'even odds of a collision at (keys)'],
      rows: r.variants.map(({ name, summary: s, keys: k }) => [
        name, s.requests, pct(s.hit_ratio), k.distinct_calls, k.distinct_keys, s.wrong_values, k.wrong_from_digest,
        k.spelling_misses, k.none_reloads, k.digest_bits, k.birthday_bound.toPrecision(3),
      ]),
    }),
    notice: (r) => {
      const [chapter, bound, short] = ['chapter-key', 'bound-args', 'short-digest'].map((n) => variant(r, n));
      const parts = [];
      if (chapter && bound) {
        parts.push(`Binding the arguments raised the hit ratio from ${pct(chapter.summary.hit_ratio)} to ${pct(bound.summary.hit_ratio)}: the chapter's key made ${chapter.keys.distinct_keys} keys for ${chapter.keys.distinct_calls} calls, missed ${chapter.keys.spelling_misses} times on a result cached under another spelling and reloaded ${chapter.keys.none_reloads} None results; it served ${chapter.summary.wrong_values} wrong values through the shared name, bound-args ${bound.summary.wrong_values}.`);
      }
      if (short) {
        parts.push(`With ${short.keys.digest_bits} bits the birthday bound is ${Math.round(short.keys.birthday_bound)} keys and this run hashed ${short.keys.distinct_texts} texts: ${short.keys.digest_collisions} keys were shared by different texts and served ${short.keys.wrong_from_digest} wrong values.`);
      }
      return parts.join(' ');
    },
  }),
  scenarioLesson({
    id: 'query-cache',
    title: 'Query cache: flush what a write touched (Exercise 3)',
    mainParams: ['duration_s', 'rate', 'ttl_s', 'update_rate', 'products', 'categories'],
    text: [
      "Caching a query's result is easy; knowing when it is wrong is the exercise. Here a shop sends four queries — a product, a category's products by price, a product with its reviews, and the home page's per-category summary — each written in two ways (case, spacing) that the cache normalises, so one key per query and parameter. Writes change products and add reviews.",
      'With a TTL alone nothing reacts to a write: every read until the entry expires gets the old answer, and each counts as stale. Tags fix that: each result is filed under what it read, and a write flushes everything filed there. Filing by table is simple and safe, but one changed product then throws away every cached query on the products table. Filing by the rows each query read flushes only the results that could have changed, so more of them survive.',
      "Two details keep the flushes honest. A result arrives in the cache when its query ends; if a write flushed one of its tags while it ran, the fill is dropped, or it would put back the very data the write made old. And the summary, read by a fifth of the requests and five times slower than the rest, is rebuilt behind a lock after every product change: the readers that find the lock taken wait for that one load. At start the cache is warmed with the summary and every category page.",
    ],
    table: (r) => ({
      head: ['variant', 'reads', 'hit ratio', 'stale reads', 'writes', 'results flushed', 'fills dropped', 'summary loads', 'readers waiting on the lock', 'duplicate summary loads', 'warmed', 'p99 ms'],
      rows: r.variants.map(({ name, summary: s, query_cache: q }) => [
        name, s.requests - q.writes, pct(s.hit_ratio), q.stale_reads, q.writes, q.flushed, q.skipped_fills,
        q.summary_loads, q.summary_waits, q.summary_duplicate_loads, q.warmed, num(s.latency_ms.p99),
      ]),
    }),
    notice: (r) => {
      const [ttl, table, row] = ['ttl-only', 'table-invalidation', 'row-invalidation'].map((n) => variant(r, n));
      const parts = [];
      if (ttl) parts.push(`A TTL alone served ${ttl.query_cache.stale_reads} stale reads at a hit ratio of ${pct(ttl.summary.hit_ratio)}.`);
      if (table && row) {
        parts.push(`Flushing by table served ${table.query_cache.stale_reads} and flushing by row ${row.query_cache.stale_reads}; by table ${table.query_cache.flushed} results were flushed and the hit ratio fell to ${pct(table.summary.hit_ratio)}, by row ${row.query_cache.flushed} and ${pct(row.summary.hit_ratio)}.`);
        parts.push(`The summary was rebuilt ${row.query_cache.summary_loads} times with ${row.query_cache.summary_duplicate_loads} duplicate loads; ${row.query_cache.summary_waits} readers waited for a rebuild instead of querying.`);
      }
      return parts.join(' ');
    },
    id: 'degradation',
    title: 'When Redis fails: fail open, time out, break the circuit',
    mainParams: ['duration_s', 'rate', 'outage_at_s', 'outage_s', 'slow_at_s', 'slow_s', 'slow_ms', 'l2_pool', 'short_timeout_ms', 'breaker_failures', 'breaker_cooldown_ms', 'db_pool'],
    text: [
      'A cache makes answers faster; it must never be why an answer is missing. Every call to Redis sits behind a guard: an error reads as a miss and the request goes to the database, a failed fill is skipped.',
      'Here Redis is first down (connections refused at once, which costs nothing but a trip to the database), then slow (every reply a second late). With no socket timeout, redis-py waits the whole second, each waiting command holds one of the pool\'s 20 connections, and once they are all busy the next commands fail with "too many connections", caught like any other error.',
      'Compare four clients: fail-open with those defaults, a short timeout per command, a circuit breaker that skips Redis for a cool-down after a run of failures, and fail-closed, which lets Redis\'s error become the user\'s. The first chart shows the database\'s load against what its pool can serve.',
    ],
    charts: degradationCharts,
    table: (r) => ({
      head: ['client', 'failed requests', 'outage: failed / arrived', 'outage: DB queries/s', 'outage load ÷ normal', 'DB pool serves /s', 'slow window: worst p99 ms', 'refused', 'timed out', 'pool exhausted', 'breaker opened / skipped'],
      rows: r.variants.map(({ name, summary: s, degradation: d }) => [
        name, s.errors, d.outage ? `${d.outage.failed} / ${d.outage.requests}` : '—', d.outage ? num(d.outage.db_qps) : '—', `${num(d.outage_load_factor)}×`,
        num(d.db_capacity_qps), d.slow ? num(d.slow.worst_p99_ms) : '—', d.faults.refused, d.faults.timed_out, d.faults.pool_exhausted,
        d.breaker ? `${d.breaker.opened} / ${d.breaker.skipped}` : '—',
      ]),
    }),
    notice: (r) => r.variants.map((v) => `${v.name}: ${v.summary.errors} failed, worst p99 in the slow window ${num(v.degradation.slow?.worst_p99_ms ?? 0)} ms`).join('; ') + '.',
  }),
  scenarioLesson({
    id: 'lock-safety',
    title: 'Lock safety: when the load outlasts the lock',
    mainParams: ['duration_s', 'rate', 'ttl_s', 'lock_ttl_ms', 'db_p50_ms', 'db_p99_ms', 'lock_poll_ms', 'lock_polls'],
    text: [
      'The stampede lock expires so that a crashed holder cannot block its key forever. A holder that is only slow loses it too: the lock vanishes mid-load, the next request that misses takes it, and two loads of the key run at once.',
      'When the first load ends, the chapter\'s release deletes the lock key — which now belongs to the second holder. A token lock stores a random value and releases with an atomic compare-and-delete (a Lua script on Redis), so it never deletes a lock it does not own; it does not stop the overlap. A renewed lock also extends its TTL while its load runs, so the loads never overlap.',
    ],
    table: (r) => ({
      head: ['variant', 'locks taken', 'most loads at once', 'loads that overlapped', 'deleted own lock', 'deleted another\'s lock', 'left another\'s lock', 'lock already gone', 'renewals', 'DB queries', 'p99 ms'],
      rows: r.variants.map(({ name, summary: s, lock_safety: { locks: l } }) => [
        name, l.acquired, l.max_concurrent_loads, l.overlapping_loads, l.released_own, l.deleted_foreign, l.spared_foreign, l.found_expired, l.renewals,
        s.db_queries, num(s.latency_ms.p99),
      ]),
    }),
    notice: (r) => `Most loads of the hot key at once — ${r.variants.map((v) => `${v.name}: ${v.lock_safety.locks.max_concurrent_loads}`).join(', ')}; `
      + `locks deleted that another request held — ${r.variants.map((v) => `${v.name}: ${v.lock_safety.locks.deleted_foreign}`).join(', ')}.`,
  }),
  scenarioLesson({
    id: 'memory',
    title: 'Redis under maxmemory: what gets evicted',
    mainParams: ['duration_s', 'rate', 'keys', 'skew', 'ttl_s', 'maxmemory_mb', 'write_share', 'session_bytes', 'alert_memory_mb'],
    text: [
      'maxmemory caps what Redis keeps; the maxmemory-policy says what happens at the cap. noeviction refuses writes with an OOM error, allkeys-lru and allkeys-lfu evict any key, volatile-lru and volatile-ttl only keys that have a TTL.',
      'The cached rows here do not fit, and each login stores a session without a TTL. A refused fill costs nothing visible (the reader has its row), a refused session is a failed login, and under a volatile policy the sessions can never be evicted: they pile up and the rows fight over what is left.',
      'To look inside a key, open the Redis console lesson and type MEMORY USAGE key (its bytes) and, under an LFU policy, OBJECT FREQ key (the counter that decides its eviction); the table shows both for the hottest row at the end of the run.',
    ],
    charts: memoryCharts,
    table: (r) => ({
      head: ['policy', 'hit ratio', 'fills refused (OOM)', 'logins refused', 'sessions evicted', 'rows in L2 at the end', 'sessions in L2 at the end', 'evicted keys', 'hottest row: MEMORY USAGE / OBJECT FREQ'],
      rows: r.variants.map(({ name, summary: s, memory: m, monitoring }) => [
        name, pct(s.hit_ratio), m.refused_fills, m.sessions_refused, m.sessions_evicted, m.rows_cached_at_end, m.sessions_at_end, monitoring?.evicted_keys ?? 0,
        `${m.hottest[0]?.memory_usage ?? '—'} B / ${m.hottest[0]?.object_freq ?? '—'}`,
      ]),
    }),
    notice: (r) => `Hit ratio — ${r.variants.map((v) => `${v.name}: ${pct(v.summary.hit_ratio)}`).join(', ')}; `
      + `sessions evicted — ${r.variants.map((v) => `${v.name}: ${v.memory.sessions_evicted}`).join(', ')}.`,
  }),
];
