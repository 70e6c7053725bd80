// Runs the Rust core off the main thread, so a long experiment never freezes the page.
// Protocol: {id, fn, args} in; {id, ok: true, result} or {id, ok: false, error} out.
import init, * as core from './pkg/cachelab.js';

const ready = init();

self.onmessage = async ({ data: { id, fn, args } }) => {
  try {
    await ready;
    const f = core[fn];
    if (typeof f !== 'function') throw new Error(`the core has no function ${fn}`);
    self.postMessage({ id, ok: true, result: f(...args) });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e?.message ?? e) });
  }
};
