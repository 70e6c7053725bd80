#!/usr/bin/env node
// Builds dist/: the playground as a self-contained static site a teacher can publish anywhere.
//   node scripts/site.mjs [OUT]     (`make site`; OUT defaults to dist)
//
// It starts from index.html and follows every relative reference (HTML src/href, ES imports,
// `new URL('…', import.meta.url)`) to the files the page needs: www's modules, the wasm modules in
// www/pkg (already optimised by `make wasm`; www/pkg/modules.js imports each), uPlot from
// node_modules and the bundled trace. Each file is written under dist/www/ with its content hash in its name, so a host may cache it for
// ever; references are rewritten to the hashed names, relative, so the site works under any
// sub-path. A file's hash covers the hashed names it refers to, so a change anywhere renames every
// file that leads to it. Sample traces ship gzipped (www/traces.js decompresses them). Beside every
// compressible file lie `.gz` and `.br` copies for hosts that serve precompressed files. Last come
// index.html (unhashed: it is the address) and sw.js, the service worker, which holds the list of
// files and a version made of their hashes (see www/sw.js).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(ROOT, process.argv[2] ?? 'dist');

// Where files from outside www/ land in the site (nothing may be referenced from node_modules).
const RELOCATE = [['node_modules/uplot/dist/', 'www/vendor/']];
// Files shipped gzipped under their name plus `.gz`: the sample traces (text, compresses 5-6x).
const SHIP_GZIPPED = /^www\/traces\/.*\.csv$/;
// Worth precompressing for a host (the gzipped traces are already compressed).
const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.wasm', '.json', '.svg']);

const fail = (message) => {
  console.error(`make site: ${message}`);
  process.exit(1);
};

/**
 * The relative references in a file's text: `[start, end, spec]` for each, where text.slice(start,
 * end) === spec. Only what the page uses: HTML src/href attributes; JS static and dynamic imports
 * and `new URL('…', import.meta.url)`; CSS url(). Absolute URLs, data:, fragments and
 * queries on the page itself (`?lesson=…`) are skipped.
 */
function references(path, text) {
  const patterns = {
    '.html': [/\s(?:src|href)="([^"]+)"/g],
    '.js': [
      /\b(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/g,
      /\bimport\s*\(?\s*['"]([^'"]+)['"]/g,
      /new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
    ],
    '.css': [/url\(\s*['"]?([^'")]+)['"]?\s*\)/g],
  }[extname(path)] ?? [];
  const found = [];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const spec = m[1];
      if (/^([a-z][a-z0-9+.-]*:|\/|#|\?)/i.test(spec)) continue;
      const start = m.index + m[0].lastIndexOf(spec);
      found.push([start, start + spec.length, spec]);
    }
  }
  return found.sort((a, b) => a[0] - b[0]).filter((r, i, all) => i === 0 || r[0] >= all[i - 1][1]);
}

/** A repository path (posix, relative to ROOT) for `spec` as referenced from `from`. */
function resolveSpec(from, spec) {
  const path = posix.normalize(posix.join(posix.dirname(from), spec.split(/[?#]/)[0]));
  if (path.startsWith('../')) fail(`${from} refers to ${spec}, outside the repository`);
  if (!existsSync(join(ROOT, path))) fail(`${from} refers to ${spec}, which does not exist (run \`make wasm\` first?)`);
  return path;
}

/** Where a source file goes in the site, before hashing. */
function placed(path) {
  for (const [from, to] of RELOCATE) if (path.startsWith(from)) return to + path.slice(from.length);
  if (path === 'index.html' || path.startsWith('www/')) return path;
  fail(`the page refers to ${path}, which has no place in the site (add it to RELOCATE in scripts/site.mjs)`);
}

/**
 * The files a JS module imports statically (`import … from`, `export … from`, `import '…'`): what
 * the browser must fetch before the module can run, level after level.
 */
function staticImports(path, text) {
  const found = [];
  for (const re of [/\b(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g]) {
    for (const m of text.matchAll(re)) if (/^\.\.?\//.test(m[1])) found.push(resolveSpec(path, m[1]));
  }
  return found;
}

/**
 * `<link rel="modulepreload">` lines for every module that the page's module scripts import,
 * directly or not: the browser fetches them all at once instead of one level of imports after
 * another (a round trip each), so the page's code runs, and its workers start, sooner.
 */
function modulePreloads(html) {
  const wanted = new Set();
  const walk = (path) => {
    for (const dep of imports.get(path) ?? []) if (!wanted.has(dep)) wanted.add(dep), walk(dep);
  };
  const scripts = [...html.matchAll(/<script type="module" src="([^"]+)"/g)].map((m) => resolveSpec('index.html', m[1]));
  scripts.forEach(walk);
  // The page's own scripts are asked for by their tags.
  return [...wanted].filter((path) => !scripts.includes(path)).map((path) => `  <link rel="modulepreload" href="./${emitted.get(path)}">\n`).join('');
}

const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);
const TEXT = new Set(['.html', '.js', '.css']);

// Depth first from index.html: a file is emitted after everything it refers to, so its text can
// name their hashed names and its own hash covers them.
const emitted = new Map(); // source path -> site path
const visiting = new Set();
const outputs = []; // {site, bytes}
const imports = new Map(); // source path of a JS module -> the source paths it imports statically

function emit(path) {
  if (emitted.has(path)) return emitted.get(path);
  if (visiting.has(path)) fail(`a reference cycle through ${path}: the build cannot hash it`);
  visiting.add(path);
  const ext = extname(path);
  let bytes = readFileSync(join(ROOT, path));
  const target = placed(path);
  if (TEXT.has(ext)) {
    let text = bytes.toString('utf8');
    const refs = references(path, text);
    let rewritten = '';
    let at = 0;
    for (const [start, end, spec] of refs) {
      const site = emit(resolveSpec(path, spec));
      let rel = posix.relative(posix.dirname(target), site);
      if (!rel.startsWith('.')) rel = `./${rel}`;
      rewritten += text.slice(at, start) + rel;
      at = end;
    }
    text = rewritten + text.slice(at);
    if (ext === '.js') imports.set(path, staticImports(path, bytes.toString('utf8')));
    if (path === 'index.html') {
      text = text.replace('<html', '<html data-service-worker="sw.js"');
      // After the page's scripts, which are asked for first.
      text = text.replace(/(^\s*<script type="module".*\n)+/m, (scripts) => scripts + modulePreloads(bytes.toString('utf8')));
    }
    bytes = Buffer.from(text);
  }
  let site;
  if (path === 'index.html') site = target;
  else if (SHIP_GZIPPED.test(path)) {
    bytes = gzipSync(bytes, { level: 9 });
    site = `${target.slice(0, -ext.length)}.${hash(bytes)}${ext}.gz`;
  } else site = `${target.slice(0, -ext.length)}.${hash(bytes)}${ext}`;
  visiting.delete(path);
  emitted.set(path, site);
  outputs.push({ site, bytes });
  return site;
}

emit('index.html');

// The service worker: its version changes whenever any file does, so a new deploy installs a new
// cache and drops the old one.
const files = outputs.map((o) => o.site).filter((s) => s !== 'index.html').sort();
const worker = readFileSync(join(ROOT, 'www/sw.js'), 'utf8');
const version = hash([...outputs.map((o) => o.site).sort(), hash(outputs.find((o) => o.site === 'index.html').bytes), hash(worker)].join('\n'));
const sw = `const SITE = ${JSON.stringify({ version, files: ['./', 'index.html', ...files] })};\n${worker}`;
outputs.push({ site: 'sw.js', bytes: Buffer.from(sw) });

rmSync(OUT, { recursive: true, force: true });
const sizes = [];
for (const { site, bytes } of outputs) {
  const file = join(OUT, site);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  if (!COMPRESSIBLE.has(extname(site))) continue;
  const gz = gzipSync(bytes, { level: 9 });
  const br = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  writeFileSync(`${file}.gz`, gz);
  writeFileSync(`${file}.br`, br);
  sizes.push({ site, raw: bytes.length, gz: gz.length, br: br.length });
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`.padStart(11);
console.log(`site in ${relative(process.cwd(), OUT) || '.'}/ (version ${version}):`);
console.log(`${'file'.padEnd(44)} ${'raw'.padStart(11)} ${'gzip'.padStart(11)} ${'brotli'.padStart(11)}`);
for (const s of sizes) console.log(`${s.site.padEnd(44)} ${kb(s.raw)} ${kb(s.gz)} ${kb(s.br)}`);
for (const o of outputs) if (!COMPRESSIBLE.has(extname(o.site))) console.log(`${o.site.padEnd(44)} ${kb(o.bytes.length)} (shipped as is)`);
const wasm = sizes.filter((s) => s.site.endsWith('.wasm'));
if (!wasm.length) fail('no wasm module in the site');
for (const w of wasm) console.log(`wasm module: ${w.raw} B raw, ${w.gz} B gzip, ${w.br} B brotli (${basename(w.site)})`);
// What the service worker fetches for a full offline copy: every module (each scenario module
// carries its own copy of the core).
const total = (key) => wasm.reduce((sum, w) => sum + w[key], 0);
console.log(`wasm modules in all (${wasm.length}): ${total('raw')} B raw, ${total('gz')} B gzip, ${total('br')} B brotli`);
