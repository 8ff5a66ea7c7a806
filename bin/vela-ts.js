#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../dist/cli/compile-cache.js';

// A reader that goes away (`vela-ts plan ... | head`) must not crash a run or stop a rollout
// midway: output that cannot be delivered is dropped and the work carries on.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

// The command line is one bundled script (scripts/bundle.js), compiled from V8's code cache when a
// run of the same command left one (src/cli/compile-cache.ts).
const argv = process.argv.slice(2);
const bundle = loadBundle(
  fileURLToPath(new URL('../dist/bin/vela-ts.cjs', import.meta.url)),
  argv,
  process.env,
  (specifier) => import(specifier),
);
const code = await bundle.exports.main(argv);
process.exitCode = code;
bundle.save();
// Everything is closed by now; should a handle still linger, it must not keep the shell waiting.
setTimeout(() => process.exit(code), 1000).unref();
