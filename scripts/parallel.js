#!/usr/bin/env node
// `node scripts/parallel.js A B ...` runs the npm scripts A, B, ... side by side and exits with the
// first failing one's code once all have ended. npm test runs the compile and the linters this way:
// each is single-threaded, and nothing of one waits for another.
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const names = process.argv.slice(2);

const codes = await Promise.all(
  names.map(
    (name) =>
      new Promise((resolve) => {
        const child = spawn(npm, ['run', '--silent', name], { stdio: 'inherit' });
        child.on('error', (err) => {
          process.stderr.write(`${name}: ${err.message}\n`);
          resolve(1);
        });
        child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
      }),
  ),
);
const failed = names.filter((_, i) => codes[i] !== 0);
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.map((n) => `${n} (exit ${codes[names.indexOf(n)]})`).join(', ')}\n`);
  process.exit(codes.find((c) => c !== 0));
}
