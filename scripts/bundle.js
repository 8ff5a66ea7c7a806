#!/usr/bin/env node
// The command line as `bin/vela-ts.js` runs it: dist/cli/main.js (what tsc emitted) bundled by
// esbuild into one CommonJS file, dist/bin/vela-ts.cjs, which the bin compiles with V8's code cache
// (src/cli/compile-cache.ts, converted to CommonJS as dist/bin/loader.cjs). Per-file ES modules cost a resolve, a read and a compile each at
// start-up (the `yaml` package alone is ~80 files), and an ES module cannot be given a code cache on
// Node 20; one script can. Measured in BENCHMARKS.md.
//
// Packages that are heavy and rarely needed stay outside the bundle, imported from node_modules
// only when used: client-node (exec plugins, auth providers, proxies), the spinner and colours (a
// terminal), and what only the sandbox uses (ajv, node-forge, protobufjs). Their `import()` calls go through
// `__velaImport`, which the loader passes in (a script run by `vm` has no module loader of its
// own). The per-file dist/ stays: it is what `import 'vela-ts/dist/sandbox/index.js'` and the
// benchmarks use.
//
//   node scripts/bundle.js            (run by npm run build and npm run compile, after tsc)
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/bin');
export const bundlePath = path.join(outdir, 'vela-ts.cjs');

export const EXTERNAL = ['@kubernetes/client-node', 'ora', 'chalk', 'ajv', 'node-forge', 'protobufjs'];

export async function bundle() {
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: [path.join(root, 'dist/cli/main.js')],
    outfile: bundlePath,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // import.meta.url (the sandbox finds the package root from it) as the bundle's own URL.
    define: { 'import.meta.url': '__velaUrl' },
    banner: { js: "const __velaUrl = require('node:url').pathToFileURL(__filename).href;" },
    write: false,
    plugins: [lazyChildProcess],
    // Not identifiers: a --verbose stack names the functions as written (at a line and column of
    // dist/bin/vela-ts.cjs). Whitespace goes: a third less to read at every start.
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  // The loader bin/vela-ts.js requires (CommonJS, as the bin is): what tsc emitted, converted.
  await build({
    entryPoints: [path.join(root, 'dist/cli/compile-cache.js')],
    outfile: path.join(outdir, 'loader.cjs'),
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  const [out] = result.outputFiles;
  fs.mkdirSync(outdir, { recursive: true });
  // Its last line names its code's SHA-256, which names its code cache (src/cli/compile-cache.ts).
  const code = routeImports(out.text);
  const digest = createHash('sha256').update(code).digest('hex');
  fs.writeFileSync(
    bundlePath,
    `${code}${code.endsWith('\n') ? '' : '\n'}// vela-ts bundle sha256:${digest}\n`,
  );
  writeLicences(result.metafile);
}

/**
 * commander requires node:child_process when it loads, for executable subcommands, which vela-ts
 * has none of; loading it (and net, dgram) costs every command ~2.5 ms. commander gets it on first use.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'child_process', namespace: 'lazy' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents:
        "let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

/** Every `import("x")` left in the bundle (the external packages) as `__velaImport("x")`. */
function routeImports(code) {
  const routed = code.replace(/\bimport\((?=["'])/g, '__velaImport(');
  const left = /\bimport\s*\(/.exec(routed);
  if (left)
    throw new Error(
      `bundle: an import() that is not of a string literal is left: ${routed.slice(left.index, left.index + 80)}`,
    );
  return routed;
}

/** The licences of the packages whose code is now inside dist/bin, which the package ships. */
function writeLicences(metafile) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
  const sections = [...packages].sort().map((name) => {
    const dir = path.join(root, 'node_modules', name);
    const { version, license } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs.readdirSync(dir).find((f) => /^licen[sc]e/i.test(f));
    const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `(${license})`;
    return `${name}@${version} (${license})\n\n${text}\n`;
  });
  const header = 'Packages bundled into dist/bin by scripts/bundle.js, with their licences.\n';
  fs.writeFileSync(path.join(outdir, 'THIRD-PARTY-LICENSES.txt'), [header, ...sections].join('\n---\n\n'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle();
}
