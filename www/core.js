// The page's door to the Rust core: every call goes to a Web Worker and comes back as a promise,
// so a long experiment never freezes the page. Errors carry the core's own message (which names
// the field and its allowed range). `cancel()` stops whatever is running by replacing the worker:
// a wasm call cannot be interrupted from outside, but its worker can. Each `Core` is one worker,
// so the console's state survives the cancellation of a run. A worker starts at its first call
// (or `warm`), not when its `Core` is made: a panel the learner never opens costs no thread, and
// on a small machine the first lesson's workers start without sharing the CPU with idle ones.

import { MODULES } from './pkg/modules.js';

export class Core {
  #worker = null;
  #pending = new Map();
  #nextId = 1;

  #spawn() {
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.#worker.onmessage = ({ data: { id, ok, result, error, progress, crashed } }) => {
      const call = this.#pending.get(id);
      if (!call) return;
      if (progress !== undefined) {
        call.onProgress?.(progress);
        return;
      }
      this.#pending.delete(id);
      ok ? call.resolve(result) : call.reject(new Error(error));
      if (crashed) this.#replace('the core crashed');
    };
    this.#worker.onerror = (event) => this.#failAll(event.message || 'the worker failed');
  }

  #failAll(message) {
    for (const call of this.#pending.values()) call.reject(new Error(message));
    this.#pending.clear();
  }

  /**
   * Calls the core's exported function `fn` with `args` in the worker; `new Name` constructs an
   * exported class and resolves to a handle, `handle.method` calls a method on it (see worker.js).
   * `onProgress(fraction)` is called as a stepped run advances.
   */
  call(fn, args = [], onProgress = null) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      if (!this.#worker) this.#spawn();
      this.#worker.postMessage({ id, fn, args });
    });
  }

  /**
   * Starts the worker and loads the module that runs `name` (a function or class), before a call
   * needs it: a lesson known from the address starts its module beside the course's listing.
   * Resolves once it is loaded (false if it could not be), never rejects.
   */
  warm(name) {
    return this.call('warm', [name]).catch(() => false);
  }

  /** Whether the core exports `name` (a function or class), known without loading any module. */
  has(name) {
    return MODULES.some((m) => m.exports.includes(name));
  }

  /** Stops every call in flight; their promises reject with `cancelled`. */
  cancel() {
    this.#replace('cancelled');
  }

  /** Stops the worker and every call in flight; the next call starts a fresh worker. */
  #replace(reason) {
    this.#worker?.terminate();
    this.#worker = null;
    this.#failAll(reason);
  }
}
