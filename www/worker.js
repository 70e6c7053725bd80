// Runs the Rust core off the main thread, so a long experiment never freezes the page.
// Protocol: {id, fn, args} in; {id, progress} while a stepped run advances; then
// {id, ok: true, result} or {id, ok: false, error}.
// A function may return a stepped run (an object with `step()` and `finish()`): the worker then
// calls `step()` until it returns 1, reporting each fraction, and answers with `finish()`.
import init, * as core from './pkg/cachelab.js';

const ready = init();

self.onmessage = async ({ data: { id, fn, args } }) => {
  try {
    await ready;
    const f = core[fn];
    if (typeof f !== 'function') throw new Error(`the core has no function ${fn}`);
    let result = f(...args);
    if (result && typeof result.step === 'function') {
      const run = result;
      for (let done = 0; done < 1; ) {
        done = run.step();
        self.postMessage({ id, progress: done });
      }
      result = run.finish();
      run.free();
    }
    self.postMessage({ id, ok: true, result });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e?.message ?? e) });
  }
};
