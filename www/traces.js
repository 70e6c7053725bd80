// Fetches a bundled sample trace as bytes for the core. The published site (scripts/site.mjs)
// ships the traces gzipped, since the core reads plain text; a trace is recognised by its first
// bytes rather than its name, because some hosts already undo the gzip on the way (serving the
// `.gz` file with `Content-Encoding: gzip`). A new compressed format is one more entry in DECODERS.

/** [magic bytes, decode(ReadableStream) -> ReadableStream of the plain trace]. */
const DECODERS = [
  [[0x1f, 0x8b], (body) => body.pipeThrough(new DecompressionStream('gzip'))],
];

/** Each bundled trace asked for, fetched and decoded once per page: url -> promise of its Blob. */
const fetched = new Map();

/**
 * The trace at `url` (a URL of the page's own origin) as a Blob of plain text; fetched once (a
 * failed fetch is tried again on the next call), so a lesson's runs and its probe share it and the
 * page can fetch it early (replay.js, prefetchBundled).
 */
export function fetchTrace(url) {
  const key = String(url);
  if (!fetched.has(key)) fetched.set(key, fetchOnce(url).catch((e) => (fetched.delete(key), Promise.reject(e))));
  return fetched.get(key);
}

async function fetchOnce(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the bundled trace could not be loaded (HTTP ${response.status} for ${url})`);
  const blob = await response.blob();
  const head = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
  const decoder = DECODERS.find(([magic]) => magic.every((b, i) => head[i] === b));
  return decoder ? new Response(decoder[1](blob.stream())).blob() : blob;
}
