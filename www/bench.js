// Times the core's benchmark cases in the browser, the same cases `cachelab bench` times natively.
// Results land in `window.benchResults` (for tests/e2e/bench.mjs) and in the page.
import init, { benchCases, benchRun, benchUseTrace } from './pkg/bench.js';

const q = new URLSearchParams(location.search);
const scale = Math.min(100, Math.max(0.01, Number(q.get('scale') ?? 1) || 1));
const filter = q.get('filter') ?? '';

await init();
// `?trace=URL`: the policy cases replay that trace file (as `cachelab bench --policy-trace`).
const trace = q.get('trace');
if (trace) {
  const bytes = new Uint8Array(await (await fetch(trace)).arrayBuffer());
  benchUseTrace(trace.split('/').pop(), bytes);
}
const out = document.getElementById('out');
const rows = [];
let baseline = null;
for (const c of benchCases()) {
  const isBaseline = baseline?.group !== c.group;
  if (!c.name.includes(filter) && !isBaseline) continue;
  const ops = Math.max(1, Math.floor(c.default_ops * scale));
  benchRun(c.name, BigInt(Math.max(1, Math.floor(ops / 10))));
  const start = performance.now();
  const checksum = benchRun(c.name, BigInt(ops));
  const perSec = ops / Math.max(1e-6, (performance.now() - start) / 1000);
  if (isBaseline) baseline = { group: c.group, perSec };
  if (!c.name.includes(filter)) continue;
  rows.push({ name: c.name, group: c.group, unit: c.unit, ops, per_sec: perSec, ratio_to_baseline: perSec / baseline.perSec, checksum: String(checksum) });
}
out.textContent = rows.map((r) => `${r.name.padEnd(28)} ${Math.round(r.per_sec).toString().padStart(12)} ${r.unit}/s  ${r.ratio_to_baseline.toFixed(2)}x baseline`).join('\n');
window.benchResults = rows;
