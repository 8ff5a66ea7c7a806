#!/usr/bin/env node
// CommonJS (bin/package.json), as is everything it loads: an ES module entry would start Node's ES
// module loader, and importing `node:fs` from one evaluates every export of it, streams included.
'use strict';
const path = require('node:path');
const { loadBundle } = require('../dist/bin/loader.cjs');

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
  path.join(__dirname, '../dist/bin/vela-ts.cjs'),
  argv,
  process.env,
  (specifier) => import(specifier),
);
bundle.exports.main(argv).then((code) => {
  process.exitCode = code;
  // From a run that went through: one refused at its flags compiled little of the command.
  if (code === 0) bundle.save();
  // Everything is closed by now; should a handle still linger, it must not keep the shell waiting.
  setTimeout(() => process.exit(code), 1000).unref();
});
