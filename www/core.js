// The page's one door to the Rust core: every call goes to a Web Worker and comes back as a
// promise, so a long experiment never freezes the page. Errors carry the core's own message
// (which names the field and its allowed range). `cancel()` stops whatever is running by
// replacing the worker: a wasm call cannot be interrupted from outside, but its worker can.

let worker;
const pending = new Map();
let nextId = 1;

function spawn() {
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data: { id, ok, result, error, progress } }) => {
    const call = pending.get(id);
    if (!call) return;
    if (progress !== undefined) {
      call.onProgress?.(progress);
      return;
    }
    pending.delete(id);
    ok ? call.resolve(result) : call.reject(new Error(error));
  };
  worker.onerror = (event) => failAll(event.message || 'the worker failed');
}

function failAll(message) {
  for (const call of pending.values()) call.reject(new Error(message));
  pending.clear();
}

/**
 * Calls the core's exported function `fn` with `args` in the worker. `onProgress(fraction)` is
 * called as a stepped run advances (see worker.js).
 */
export function call(fn, args = [], onProgress = null) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, fn, args });
  });
}

/** Stops every call in flight; their promises reject with `cancelled`. */
export function cancel() {
  worker.terminate();
  failAll('cancelled');
  spawn();
}

spawn();
