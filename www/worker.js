// Runs the Rust core off the main thread, so a long experiment never freezes the page.
// Protocol: {id, fn, args} in; {id, progress} while a stepped run advances; then
// {id, ok: true, result} or {id, ok: false, error}. `fn` is one of:
// - `name`: an exported function. If it returns a stepped run (an object with `step()` and
//   `finish()`), the worker calls `step()` until it returns 1, reporting each fraction, and
//   answers with `finish()`.
// - `new Name`: constructs the exported class `Name` and answers with a numeric handle.
// - `7.method`: calls `method` on the object behind handle 7 (`7.free` also forgets it).
import init, * as core from './pkg/cachelab.js';

const ready = init();
const objects = new Map();
let nextHandle = 1;

function invoke(fn, args) {
  if (fn.startsWith('new ')) {
    const Class = core[fn.slice(4)];
    if (typeof Class !== 'function') throw new Error(`the core has no class ${fn.slice(4)}`);
    objects.set(nextHandle, new Class(...args));
    return nextHandle++;
  }
  const dot = fn.indexOf('.');
  if (dot > 0) {
    const handle = Number(fn.slice(0, dot));
    const method = fn.slice(dot + 1);
    const target = objects.get(handle);
    if (!target || typeof target[method] !== 'function') throw new Error(`no method ${method} on handle ${handle}`);
    if (method === 'free') objects.delete(handle);
    return target[method](...args);
  }
  const f = core[fn];
  if (typeof f !== 'function') throw new Error(`the core has no function ${fn}`);
  return f(...args);
}

self.onmessage = async ({ data: { id, fn, args } }) => {
  try {
    await ready;
    // Files and blobs (a local trace) are read here, in the worker, as bytes for the core.
    const plain = await Promise.all(args.map(async (a) => (a instanceof Blob ? new Uint8Array(await a.arrayBuffer()) : a)));
    let result = invoke(fn, plain);
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
    if (e instanceof WebAssembly.RuntimeError) {
      // A panic: the module has trapped and its state cannot be trusted any more. Report the
      // panic's message; the page replaces this worker (see core.js).
      const panic = core.lastPanic?.() ?? String(e.message);
      self.postMessage({ id, ok: false, crashed: true, error: `the core crashed — this is a bug in cachelab, please report it: ${panic}` });
      return;
    }
    self.postMessage({ id, ok: false, error: String(e?.message ?? e) });
  }
};
