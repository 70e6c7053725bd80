// The eviction-policy lesson's inputs and run: a trace (the bundled sample or a local file, which
// is read in the worker and never leaves the browser), the policies to compare, and the cache
// sizes. Each policy is one call into the core, so the progress bar moves policy by policy and
// Cancel stops between (or during) them; the policies are spread over as many workers as the
// browser reports cores (the core replays each policy alone, so the rows are the same however
// they are spread).
import { Core } from './core.js';
import { fetchTrace } from './traces.js';

const $ = (id) => document.getElementById(id);
const BUNDLED = {
  bundled: { url: new URL('./traces/cloudphysics.csv', import.meta.url), path: 'traces/cloudphysics.csv', name: 'cloudphysics (sample)' },
  'bundled-zst': { url: new URL('./traces/cloudphysics.oracleGeneral.zst', import.meta.url), path: 'traces/cloudphysics.oracleGeneral.zst', name: 'cloudphysics.oracleGeneral.zst (sample)' },
};
const DEFAULT_POLICIES = ['lru', 'fifo', 'sieve', 's3fifo', 'arc', 'belady'];

/**
 * A bundled sample as a Blob of plain trace, by its path in the repository's `www/` (as a lesson's
 * probe names it, e.g. `traces/cloudphysics.csv`): the page fetches it through the URLs above,
 * which `make site` rewrites to the published (hashed, gzipped) files. A path the page does not
 * bundle is an error naming the ones it does.
 */
export function fetchBundled(path) {
  const found = Object.values(BUNDLED).find((b) => b.path === path);
  if (!found) throw new Error(`the page bundles no trace ${path} (it has ${Object.values(BUNDLED).map((b) => b.path).join(', ')})`);
  return fetchTrace(found.url);
}

/** Starts fetching the trace the lesson opens on (the bundled sample), before the lesson is shown. */
export function prefetchBundled() {
  fetchTrace(BUNDLED.bundled.url).catch(() => {});
}

/** Builds the policy checkboxes from the core's list, checking those the URL names (or defaults). */
export function buildReplayFields(policies, query) {
  const wanted = new Set((query.get('policies') ?? DEFAULT_POLICIES.join(',')).split(','));
  $('replay-policies').replaceChildren(
    ...policies.map((name) => {
      const label = document.createElement('label');
      const box = Object.assign(document.createElement('input'), { type: 'checkbox', name: 'policy', value: name, checked: wanted.has(name) });
      label.append(box, ` ${name}`);
      return label;
    }),
  );
  $('replay-sizes').value = query.get('sizes') ?? 'mrc';
  $('replay-source').value = 'bundled';
}

/** The lesson's state for a shared link (a local file cannot be shared, so it is not in it). */
export function replayQuery() {
  const policies = [...document.querySelectorAll('#replay-policies input:checked')].map((b) => b.value);
  return { policies: policies.join(','), sizes: $('replay-sizes').value.trim() || 'mrc' };
}

function readInputs() {
  const policies = [...document.querySelectorAll('#replay-policies input:checked')].map((b) => b.value);
  if (!policies.length) throw new Error('choose at least one policy');
  const { sizes } = replayQuery();
  const source = $('replay-source').value;
  const file = $('replay-file').files[0];
  if (source === 'local' && !file) throw new Error('choose a trace file, or the bundled sample');
  return { policies, sizes, source, file: source === 'local' ? file : null };
}

/**
 * The trace to replay, as the worker takes it: `{data, name, format}`. The only place the page
 * loads a trace; `format` is named for .csv and .txt files, otherwise the core tells the format
 * (oracleGeneral, zstd-compressed or not) from the first bytes.
 */
async function loadTrace(source, file) {
  if (file) {
    const format = /\.csv$/i.test(file.name) ? 'csv' : /\.txt$/i.test(file.name) ? 'text' : 'auto';
    return { data: file, name: file.name, format };
  }
  const bundled = BUNDLED[source] ?? BUNDLED.bundled;
  // Gzipped on a published site (www/traces.js undoes it); zstd is read by the core itself.
  return { data: await fetchTrace(bundled.url), name: bundled.name, format: 'auto' };
}

/**
 * Replays the chosen trace through each chosen policy in `core`'s worker and the sweep's helpers
 * (sweepWorkers); resolves to one report
 * `{trace, requests, unique_keys, rows}` with the rows of every policy.
 */
export async function runReplay(core, onProgress, onPartial = () => {}) {
  const { policies, sizes, source, file } = readInputs();
  const trace = await loadTrace(source, file);
  if (file && file.size > (globalThis.cachelabStreamAboveBytes ?? STREAM_ABOVE_BYTES)) return { report: await streamReplay(core, policies, sizes, trace, onProgress), query: replayQuery() };
  // One step per policy, then the trace's analysis and (for object sizes) LRU's exact curve.
  const steps = policies.length + 2;
  let done = 0;
  // Each policy's curve is handed on as it arrives (with those before it), so the chart grows
  // while the other policies, the miss classes and the analysis are still computing.
  const arrived = [];
  const parts = await sweep(core, policies.map((policy, i) => [policy, i]), (worker, [policy, i]) =>
    worker.call('replayTrace', [trace.data, policy, sizes, trace.format]).then((part) => {
      onProgress(++done / steps);
      arrived[i] = part;
      const sofar = arrived.filter(Boolean);
      onPartial({ ...sofar[0], trace: trace.name, rows: sofar.flatMap((p) => p.rows) });
      return part;
    }),
  );
  const report = { ...parts[0], trace: trace.name, rows: parts.flatMap((part) => part.rows) };
  // Why each miss happened, at the middle size: one more call with every policy at once, so that
  // Belady, whom the classes are measured against, runs once (the last argument asks for them).
  const caps = [...new Set(report.rows.map((r) => r.capacity))].sort((a, b) => a - b);
  const mid = caps[Math.floor(caps.length / 2)];
  const size = report.rows[0].unit === 'bytes' ? `${mid}B` : String(mid);
  report.classes = (await core.call('replayTrace', [trace.data, policies.join(','), size, trace.format, false, undefined, true])).rows;
  report.asked = { policies, sizes };
  report.analysis = await core.call('analyzeTrace', [trace.data, trace.format]);
  onProgress((policies.length + 1) / steps);
  // Stack distances count objects: a run in bytes has no exact LRU curve. Beside the exact curve
  // comes the sampled line a streamed file gets, with its error against it (lru_sampled.note).
  if (report.rows[0]?.unit === 'objects') {
    const lru = await core.call('lruCurve', [trace.data, trace.format]);
    report.lru_exact = lru.curve;
    report.lru_sampled = lru.sampled;
  }
  onProgress(1);
  return { report, query: replayQuery() };
}

/**
 * Local files larger than this are streamed (read chunk by chunk in the worker, twice, never
 * whole): memory then holds the caches, not the file, and there is no size limit. Smaller files
 * are read whole: not faster (the rows alone stream in about half the time), but the whole trace
 * in memory also gives the miss classes, the trace's analysis and LRU's exact curve, the rest of
 * the lesson, at a memory cost of a few times the file that 32 MiB keeps small.
 * `window.cachelabStreamAboveBytes` overrides it, for tests.
 */
export const STREAM_ABOVE_BYTES = 32 << 20;

/**
 * Streams a large local file through the core's TraceStream. The sweep is split by caches: each
 * worker streams the file itself for its share of the policies (reading a local file again costs
 * little beside replaying it, and no worker holds what another needs). Belady joins the smallest
 * share rather than having one of its own: over a trace without next accesses the core leaves it
 * out, and alone it would be refused. The first worker also samples LRU's curve as it replays
 * (fixed-size SHARDS, memory bounded by the sample), for the sampled LRU line. One progress bar:
 * the workers' shares of bytes read, averaged.
 */
async function streamReplay(core, policies, sizes, trace, onProgress) {
  const others = policies.filter((p) => p !== 'belady');
  const workers = Math.max(1, sweepWorkers(core, others.length).length);
  const shares = Array.from({ length: Math.min(workers, Math.max(1, others.length)) }, (_, w) => others.filter((_, i) => i % workers === w));
  if (policies.includes('belady')) shares.at(-1).push('belady'); // the last share is the smallest
  const done = shares.map(() => 0);
  const parts = await sweep(core, shares.map((share, i) => ({ share, i })), (worker, { share, i }) =>
    worker.call('streamTrace', [trace.data, share.join(','), sizes, trace.format, i === 0], (fraction) => {
      done[i] = fraction;
      onProgress(done.reduce((a, b) => a + b, 0) / done.length);
    }),
  );
  const order = (row) => policies.indexOf(row.policy);
  const mib = (bytes) => (bytes / (1 << 20)).toFixed(1);
  const memory = Math.max(...parts.map((p) => p.stream.wasm_memory_bytes));
  const leftOut = parts.map((p) => p.stream.left_out).find(Boolean) ?? null;
  const note = [
    `The file (${mib(trace.data.size)} MiB) was streamed: read ${parts[0].stream.passes} times by each of ${parts.length} worker${parts.length > 1 ? 's' : ''}, a chunk at a time, never whole; the largest worker's wasm memory was ${mib(memory)} MiB.`,
    `The miss classes, the trace's analysis and LRU's exact curve need the whole trace in memory: the page computes them for files up to ${mib(STREAM_ABOVE_BYTES)} MiB.`,
    parts[0].lru_sampled?.note,
    leftOut,
  ].filter(Boolean).join(' ');
  return {
    ...parts[0],
    trace: trace.name,
    rows: parts.flatMap((part) => part.rows).sort((a, b) => order(a) - order(b)),
    asked: { policies, sizes },
    stream: { ...parts[0].stream, workers: parts.length, left_out: leftOut, wasm_memory_bytes: memory, note },
  };
}

/** Workers kept for sweeps beside the lesson's own (each holds its own instance of the core). */
const helpers = [];

/**
 * The workers a sweep of `jobs` calls runs on: `core` and more, up to the cores the browser
 * reports (`window.cachelabSweepWorkers` overrides that, for tests) and at most one a job.
 */
export function sweepWorkers(core, jobs) {
  const cores = globalThis.cachelabSweepWorkers ?? globalThis.navigator?.hardwareConcurrency ?? 1;
  const wanted = Math.max(1, Math.min(jobs, Math.floor(cores) || 1));
  while (helpers.length < wanted - 1) helpers.push(new Core());
  return [core, ...helpers.slice(0, wanted - 1)];
}

/**
 * Runs `call(worker, job)` for every job, each worker taking the next job when it is free;
 * resolves to the results in job order. If one fails (or `core` is cancelled), the other workers
 * are stopped too and the first error is thrown.
 */
export async function sweep(core, jobs, call) {
  const workers = sweepWorkers(core, jobs.length);
  const results = new Array(jobs.length);
  let next = 0;
  const drain = async (worker) => {
    while (next < jobs.length) {
      const j = next++;
      results[j] = await call(worker, jobs[j]);
    }
  };
  try {
    await Promise.all(workers.map(drain));
  } catch (e) {
    for (const helper of workers.slice(1)) helper.cancel();
    throw e;
  }
  return results;
}
