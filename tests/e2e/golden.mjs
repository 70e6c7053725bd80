// The golden cases of tests/support/golden_cases.rs, read from that file so the JavaScript checks
// of the built module use exactly the cases (files, parameters, seeds) the Rust suites use.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

/** [{file, fn, scenario, params: {name: value}, seed: bigint-as-string, expected}] */
/**
 * A golden file (pretty-printed, one field a line) in the compact form the module prints: the
 * whitespace outside strings removed, every number kept as written (so `3000.0` stays `3000.0`).
 */
function compact(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

export function goldenCases() {
  const source = readFileSync(join(ROOT, 'tests/support/golden_cases.rs'), 'utf8');
  const list = source.slice(source.indexOf('pub fn cases()'));
  const blocks = list.split(/\bGoldenCase \{/).slice(1);
  if (!blocks.length) throw new Error('no golden cases found in tests/support/golden_cases.rs');
  return blocks.map((block) => {
    const file = /file: "([^"]+)"/.exec(block)?.[1];
    const params = /params: &\[([^\]]*)\]/.exec(block)?.[1];
    const seed = /seed: (\d+)/.exec(block)?.[1];
    const scenario = /scenario_json\("([^"]+)"/.exec(block)?.[1];
    const curve = /l1_curve::run/.test(block);
    if (!file || params === undefined || !seed || !(scenario || curve)) throw new Error(`a golden case in golden_cases.rs has a form this reader does not know: ${block.slice(0, 200)}`);
    return {
      file,
      fn: curve ? 'l1CurveJson' : 'runScenarioJson',
      scenario,
      params: Object.fromEntries([...params.matchAll(/\("([^"]+)",\s*"([^"]+)"\)/g)].map((m) => [m[1], m[2]])),
      seed,
      expected: compact(readFileSync(join(ROOT, 'tests/golden', file), 'utf8')),
    };
  });
}

/**
 * Runs every case through an initialised wasm-bindgen module `core`; resolves to
 * [{file, actual, expected}]. Also passed, as text, to a browser page.
 */
export function runGoldens(core, cases) {
  return cases.map(({ file, fn, scenario, params, seed, expected }) => {
    const actual = fn === 'l1CurveJson' ? core.l1CurveJson(params, BigInt(seed)) : core.runScenarioJson(scenario, params, BigInt(seed));
    return { file, actual, expected };
  });
}
