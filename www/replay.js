// The eviction-policy lesson's inputs and run: a trace (the bundled sample or a local file, which
// is read in the worker and never leaves the browser), the policies to compare, and the cache
// sizes. Each policy is one call into the core, so the progress bar moves policy by policy and
// Cancel stops between (or during) them.
import { fetchTrace } from './traces.js';

const $ = (id) => document.getElementById(id);
const BUNDLED = new URL('./traces/cloudphysics.csv', import.meta.url);
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
function readInputs() {
  const policies = [...document.querySelectorAll('#replay-policies input:checked')].map((b) => b.value);
  if (!policies.length) throw new Error('choose at least one policy');
  const sizes = $('replay-sizes').value.trim() || 'mrc';
  const local = $('replay-source').value === 'local';
  const file = $('replay-file').files[0];
  if (local && !file) throw new Error('choose a trace file, or the bundled sample');
  return { policies, sizes, file: local ? file : null };
}

/**
 * Replays the chosen trace through each chosen policy in `core`'s worker; resolves to one report
 * `{trace, requests, unique_keys, rows}` with the rows of every policy.
 */
export async function runReplay(core, onProgress) {
  const { policies, sizes, file } = readInputs();
  const trace = file ?? (await fetchTrace(BUNDLED));
  const format = file && /\.txt$/i.test(file.name) ? 'text' : 'csv';
  let report = null;
  for (const [i, policy] of policies.entries()) {
    const part = await core.call('replayTrace', [trace, policy, sizes, format]);
    report = report ? { ...report, rows: [...report.rows, ...part.rows] } : { ...part, trace: file ? file.name : 'cloudphysics (sample)' };
    onProgress((i + 1) / policies.length);
  }
  // Why each miss happened, at the middle size: one more call with every policy at once, so that
  // Belady, whom the classes are measured against, runs once (the last argument asks for them).
  const caps = [...new Set(report.rows.map((r) => r.capacity))].sort((a, b) => a - b);
  const mid = caps[Math.floor(caps.length / 2)];
  const size = report.rows[0].unit === 'bytes' ? `${mid}B` : String(mid);
  report.classes = (await core.call('replayTrace', [trace, policies.join(','), size, format, false, undefined, true])).rows;
  return { report, query: { policies: policies.join(','), sizes } };
}
