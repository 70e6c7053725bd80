// The page's one door to the Rust core: every call goes to the Web Worker and comes back as a
// promise. Errors carry the core's own message (which names the field and its allowed range).

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let nextId = 1;

worker.onmessage = ({ data: { id, ok, result, error } }) => {
  const call = pending.get(id);
  if (!call) return;
  pending.delete(id);
  ok ? call.resolve(result) : call.reject(new Error(error));
};
worker.onerror = (event) => {
  for (const call of pending.values()) call.reject(new Error(event.message || 'the worker failed'));
  pending.clear();
};

/** Calls the core's exported function `fn` with `args` in the worker. */
export function call(fn, ...args) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, fn, args });
  });
}
