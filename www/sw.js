// The published site's service worker (dist/sw.js): it keeps every file of the playground in a
// cache on the first visit, so a learner who loses the network keeps every lesson. `scripts/site.mjs`
// writes `const SITE = {version, files}` above this text: `files` are relative to this script
// (the site's root, whatever sub-path it is published under), `version` is made of their content
// hashes. A new deploy has a new version: the browser installs it beside the old one, and once no
// open tab uses the old version any more (an open lesson keeps its files), the new one activates
// and deletes every other cache of this site. Only the site's own origin is ever cached.
// It is not used by `make play`, which serves the working tree uncached.
/* global SITE */
const PREFIX = `cachelab-${new URL('./', self.location).pathname}`;
const CACHE = `${PREFIX}${SITE.version}`;
const ROOT = new URL('./', self.location).href;
const INDEX = new URL('index.html', self.location).href;

self.addEventListener('install', (event) => {
  // `reload` bypasses the HTTP cache, so an older copy of a file cannot slip into the new cache.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SITE.files.map((f) => new Request(new URL(f, self.location), { cache: 'reload' })))),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // Every address of the page (`?lesson=…&seed=…`) is the one index.html; other pages a teacher
  // publishes beside the site are not ours to answer.
  const url = new URL(request.url);
  const page = request.mode === 'navigate' && [ROOT, INDEX].includes(url.origin + url.pathname);
  event.respondWith(
    caches.open(CACHE).then(async (cache) => (await cache.match(page ? INDEX : request, { ignoreSearch: page })) ?? fetch(request)),
  );
});
