// Runs the Rust core off the main thread, so a long experiment never freezes the page.
// Protocol: {id, fn, args} in; {id, progress} while a stepped run advances; then
// {id, ok: true, result} or {id, ok: false, error}. `fn` is one of:
// - `name`: an exported function. If it returns a stepped run (an object with `step()` and
//   `finish()`), the worker calls `step()` until it returns 1, reporting each fraction, and
//   answers with `finish()`.
// - `new Name`: constructs the exported class `Name` and answers with a numeric handle.
// - `7.method`: calls `method` on the object behind handle 7 (`7.free` also forgets it).
// - `streamTrace`: args [file, policies, sizes, format, lruLine]: streams a local trace file
//   through the core (see streamTrace below), reporting progress by bytes read.
// - `warm`: args [name]: loads the module that runs `name` and answers true (false if no module
//   exports it), so that a call the page knows is coming does not wait for the module.
// The core comes as several wasm modules (scripts/wasm.sh, www/pkg/modules.js): a module is
// fetched and instantiated the first time a call needs one of its names, so the first lesson
// waits only for the small module it runs on. The scenarios are split between modules, each
// running those of a run of lessons (modules.js lists them): a call that names a scenario (its
// first argument: `scenarioStart('stampede', …)`) goes to the module that runs it. Any other name
// in several modules is taken from one already loaded if any, else from the first in the list.
import { MODULES } from './pkg/modules.js';

const loaded = new Map(); // module name -> promise of the initialised module
const objects = new Map(); // handle -> {object, core}
const memories = new Map(); // initialised module -> its wasm memory
let nextHandle = 1;

function load(module) {
  if (!loaded.has(module.name)) {
    loaded.set(module.name, module.load().then(async (core) => (memories.set(core, (await core.default()).memory), core)));
  }
  return loaded.get(module.name);
}

/** Progress is posted when it has moved by this share of the whole (not for every chunk). */
const PROGRESS_STEP = 0.005;

/**
 * Replays a local trace file of any size: its stream (`File.stream()`, read here in the worker,
 * never whole) is fed chunk by chunk to the core's TraceStream, once per pass the core asks for.
 * Resolves to the report, with `stream: {file_bytes, passes, left_out, wasm_memory_bytes}` (wasm
 * memory only grows, so its size at the end is the peak of the worker's life so far: this run's
 * in a fresh worker) and, with `lruLine`, `lru_sampled`: LRU's curve sampled by the core while
 * the file streamed (null in a run in bytes).
 */
async function streamTrace(id, core, [file, policies, sizes, format, lruLine]) {
  const stream = new core.TraceStream(policies, sizes, format, false, Boolean(lruLine));
  try {
    const total = stream.passes * file.size || 1;
    let pass = 0;
    let shown = 0;
    for (let again = true; again; pass++) {
      const reader = file.stream().getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        stream.push(chunk.value);
        const done = (pass * file.size + stream.bytes) / total;
        if (done - shown >= PROGRESS_STEP) self.postMessage({ id, progress: (shown = done) });
      }
      again = stream.endPass();
    }
    const leftOut = stream.leftOut() ?? null;
    const sampled = stream.lruLine() ?? null;
    const report = stream.finish();
    return { ...report, lru_sampled: sampled, stream: { file_bytes: file.size, passes: pass, left_out: leftOut, wasm_memory_bytes: memories.get(core).buffer.byteLength } };
  } finally {
    stream.free();
  }
}

/** The initialised module that exports `name` (for a call with `args`), or null. */
function home(name, args = []) {
  const exporting = MODULES.filter((m) => m.exports.includes(name));
  const module = exporting.find((m) => m.scenarios?.includes(args[0])) ?? exporting.find((m) => loaded.has(m.name)) ?? exporting[0];
  return module ? load(module) : null;
}

/**
 * What `fn` names, called with `args`: {core, call(args)}, the module that runs it (whose panic
 * message a trap reports) and the call itself, made by the caller so that a trap is caught with
 * its module.
 */
async function resolve(fn, args) {
  if (fn.startsWith('new ')) {
    const name = fn.slice(4);
    const core = await home(name, args);
    if (typeof core?.[name] !== 'function') throw new Error(`the core has no class ${name}`);
    return {
      core,
      call: (args) => {
        objects.set(nextHandle, { object: new core[name](...args), core });
        return nextHandle++;
      },
    };
  }
  const dot = fn.indexOf('.');
  if (dot > 0) {
    const handle = Number(fn.slice(0, dot));
    const method = fn.slice(dot + 1);
    const target = objects.get(handle);
    if (!target || typeof target.object[method] !== 'function') throw new Error(`no method ${method} on handle ${handle}`);
    return {
      core: target.core,
      call: (args) => {
        if (method === 'free') objects.delete(handle);
        return target.object[method](...args);
      },
    };
  }
  const core = await home(fn, args);
  if (typeof core?.[fn] !== 'function') throw new Error(`the core has no function ${fn}`);
  return { core, call: (args) => core[fn](...args) };
}

self.onmessage = async ({ data: { id, fn, args } }) => {
  let core = null;
  try {
    if (fn === 'warm') {
      self.postMessage({ id, ok: true, result: Boolean(await home(args[0])) });
      return;
    }
    if (fn === 'streamTrace') {
      core = await home('TraceStream');
      self.postMessage({ id, ok: true, result: await streamTrace(id, core, args) });
      return;
    }
    // Files and blobs (a local trace) are read here, in the worker, as bytes for the core.
    const plain = await Promise.all(args.map(async (a) => (a instanceof Blob ? new Uint8Array(await a.arrayBuffer()) : a)));
    const target = await resolve(fn, plain);
    core = target.core;
    let result = target.call(plain);
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
      const panic = core?.lastPanic?.() ?? String(e.message);
      self.postMessage({ id, ok: false, crashed: true, error: `the core crashed — this is a bug in cachelab, please report it: ${panic}` });
      return;
    }
    self.postMessage({ id, ok: false, error: String(e?.message ?? e) });
  }
};
