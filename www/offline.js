// Registers the published site's service worker (www/sw.js), which keeps the playground working
// without a network after the first visit. Only `make site` marks index.html with
// `data-service-worker`; the working tree that `make play` serves has no service worker, so an
// edited file is never answered from a cache.
export function registerServiceWorker() {
  const script = document.documentElement.dataset.serviceWorker;
  if (!script || !('serviceWorker' in navigator)) return;
  // Relative to the page, so the site works under any sub-path; the worker's scope is its folder.
  navigator.serviceWorker.register(new URL(script, document.baseURI)).catch((e) => {
    // Without it the page still works online; say why offline use will not.
    console.warn(`cachelab: offline use is unavailable (${e.message})`);
  });
}
