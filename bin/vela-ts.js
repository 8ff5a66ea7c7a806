#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// A reader that goes away (`vela-ts plan ... | head`) must not crash a run or stop a rollout
// midway: output that cannot be delivered is dropped and the work carries on.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; should a handle still linger, it must not keep the shell waiting.
setTimeout(() => process.exit(code), 1000).unref();
