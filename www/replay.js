// The eviction-policy lesson's inputs and run: a trace (the bundled sample or a local file, which
// is read in the worker and never leaves the browser), the policies to compare, and the cache
// sizes. Each policy is one call into the core, so the progress bar moves policy by policy and
// Cancel stops between (or during) them.
import { fetchTrace } from './traces.js';

const $ = (id) => document.getElementById(id);
const BUNDLED = {
  bundled: { url: new URL('./traces/cloudphysics.csv', import.meta.url), name: 'cloudphysics (sample)' },
  'bundled-zst': { url: new URL('./traces/cloudphysics.oracleGeneral.zst', import.meta.url), name: 'cloudphysics.oracleGeneral.zst (sample)' },
};
const DEFAULT_POLICIES = ['lru', 'fifo', 'sieve', 's3fifo', 'arc', 'belady'];

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
 * Replays the chosen trace through each chosen policy in `core`'s worker; resolves to one report
 * `{trace, requests, unique_keys, rows}` with the rows of every policy.
 */
export async function runReplay(core, onProgress) {
  const { policies, sizes, source, file } = readInputs();
  const trace = await loadTrace(source, file);
  let report = null;
  // One step per policy, then the trace's analysis and (for object sizes) LRU's exact curve.
  const steps = policies.length + 2;
  for (const [i, policy] of policies.entries()) {
    const part = await core.call('replayTrace', [trace.data, policy, sizes, trace.format]);
    report = report ? { ...report, rows: [...report.rows, ...part.rows] } : { ...part, trace: trace.name };
    onProgress((i + 1) / steps);
  }
  // Why each miss happened, at the middle size: one more call with every policy at once, so that
  // Belady, whom the classes are measured against, runs once (the last argument asks for them).
  const caps = [...new Set(report.rows.map((r) => r.capacity))].sort((a, b) => a - b);
  const mid = caps[Math.floor(caps.length / 2)];
  const size = report.rows[0].unit === 'bytes' ? `${mid}B` : String(mid);
  report.classes = (await core.call('replayTrace', [trace.data, policies.join(','), size, trace.format, false, undefined, true])).rows;
  report.asked = { policies, sizes };
  report.analysis = await core.call('analyzeTrace', [trace.data, trace.format]);
  onProgress((policies.length + 1) / steps);
  // Stack distances count objects: a run in bytes has no exact LRU curve.
  if (report.rows[0]?.unit === 'objects') report.lru_exact = (await core.call('lruCurve', [trace.data, trace.format])).curve;
  onProgress(1);
  return { report, query: replayQuery() };
}
