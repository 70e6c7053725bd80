// The lessons' words against the core's numbers, without a browser: what a lesson's text counts
// matches the rows its table will show, and the summary table shows every outcome the core
// counts, with the core's definition of the hit ratio beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setSummaryColumns, withView } from '../../www/lessons.js';
import * as basics from '../../www/pkg/basics.js';
import { ROOT } from './harness.mjs';

const cli = (...args) => JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', ...args, '--json'], { cwd: ROOT }));
const scenarios = cli('scenarios');
// The lessons as the core defines them, with the page's view of each (www/lessons.js).
const lessons = cli('lessons').map(withView);
// The table's heads come from the core, as the page takes them at start (`make wasm` built it).
basics.initSync({ module: readFileSync(join(ROOT, 'www/pkg/basics_bg.wasm')) });
setSummaryColumns(basics.summaryColumns());
const lesson = (id) => lessons.find((l) => l.id === id);
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

test('the rate-limiting lesson counts the rows its table shows', () => {
  const rows = scenarios.find((s) => s.name === 'ratelimit').variants.length;
  const words = [lesson('ratelimit').title, ...lesson('ratelimit').text].join(' ');
  // Issue 17: "four algorithms" above five rows, with nothing saying what the fifth is.
  assert.match(words, new RegExp(`\\b${WORDS[rows]} rows\\b`), words);
});

test('the summary table shows waited, fallbacks and coalesced, and the hit ratio is defined', () => {
  const stampede = lesson('stampede');
  const summary = {
    requests: 10, l1_hits: 1, l2_hits: 2, waited: 3, misses: 4, db_queries: 5, max_db_in_flight: 1, hit_ratio: 0.3,
    latency_ms: { p50: 1, p99: 2, max: 3 }, errors: 0, stale_reads: 0, fallbacks: 6, coalesced: 7,
  };
  const report = { params: {}, variants: [{ name: 'lock', summary, series: {} }], hit_ratio_definition: 'Hit ratio = defined in the core.' };
  const { head, rows, caption } = stampede.table(report);
  for (const [column, value] of [['waited', 3], ['fallbacks', 6], ['coalesced', 7]]) {
    assert.equal(rows[0][head.indexOf(column)], value, column);
  }
  const hitRatio = head.indexOf('hit ratio');
  assert.equal(rows[0][hitRatio], '30.0 %');
  // The definition is the table's caption (issue 17), not part of the headline.
  assert.equal(caption, 'Hit ratio = defined in the core.');
  assert.ok(!(stampede.notice ?? []).join(' ').includes('Hit ratio ='));
});

test('the writes lesson charts stale reads and put-backs over time, per second', () => {
  const series = { t_s: [0, 0.5], hit_ratio: [1, 1], db_qps: [1, 1], p99_ms: [1, 1] };
  const consistency = { stale_reads_per_bucket: [1, 2], put_backs_per_bucket: [0, 3] };
  const report = { params: { bucket_ms: 500 }, variants: [{ name: 'invalidate', series, consistency }] };
  const charts = lesson('consistency').charts(report);
  const values = (title) => charts.find((c) => c.title === title)?.series[0].values;
  assert.deepEqual(values('stale reads per second'), [2, 4]);
  assert.deepEqual(values('put-backs per second'), [0, 6]);
});
