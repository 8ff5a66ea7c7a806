#!/usr/bin/env node
// npm run demo: KubeVela's "Progressive Rollout with Istio" walkthrough on the embedded sandbox,
// with the commands a user would type, each printed before it runs. Two runs, each in a fresh
// sandbox state folder of its own (nothing is left in the clone):
//   1. the release: first deploy, the canary at 90/10 and its status, the approval (asked on a
//      terminal; approved automatically without one, saying so), the full release, the status;
//   2. the rollback: the same canary, rolled back from its approval gate, and the status.
// Exits non-zero as soon as a command does not end as the walkthrough expects.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/vela-ts.js');
const example = (name) => path.join(root, 'examples/bookinfo', name);
const tty = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[22m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[22m` : s);
const say = (s = '') => process.stdout.write(`${s}\n`);
const folders = [];

/** Runs `vela-ts ARGS` in `cwd` (its sandbox state is `cwd/.vela-ts/`), on this terminal or pipe. */
function vela(cwd, args, expectCode = 0) {
  say(bold(`$ vela-ts ${args.map((a) => (a.startsWith(root) ? path.relative(root, a) : a)).join(' ')}`));
  const res = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    stdio: 'inherit',
    env: { VELA_TS_SANDBOX_READY_DELAY_MS: '1000', ...process.env },
  });
  const code = res.status ?? 1;
  if (code !== expectCode) {
    say(`demo: \`vela-ts ${args[0]}\` exited ${code}, expected ${expectCode}; stopping`);
    finish(1);
  }
  say();
}

function freshSandbox() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-demo-'));
  folders.push(dir);
  return dir;
}

function finish(code) {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

/** On a terminal, the person decides; without one (a pipe, CI) the demo approves and says so. */
async function approve() {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    say(dim('No terminal to ask on: approving automatically, as a CI job would with `workflow resume`.'));
    say();
    return true;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = (await rl.question('Promote reviews-v2 to 100%? [Y]es, or [r]oll back: '))
    .trim()
    .toLowerCase();
  rl.close();
  say();
  return !answer.startsWith('r');
}

function chapter(title, text) {
  say(bold(`== ${title}`));
  say(dim(text));
  say();
}

process.on('SIGINT', () => finish(130));

chapter(
  'The release',
  'A simulated cluster (pods become ready after 1 s) in a temporary folder. book-info runs reviews-v1;\nthe canary moves 1 of 2 replicas and 10% of traffic to reviews-v2, then waits for approval.',
);
let dir = freshSandbox();
vela(dir, ['up', example('first-deploy.yaml'), '--sandbox']);
vela(dir, ['up', example('rollout-v2.yaml'), '--sandbox', '--no-prompt']);
vela(dir, ['status', 'book-info', '--sandbox']);
if (await approve()) {
  vela(dir, ['workflow', 'resume', 'book-info', '--sandbox']);
} else {
  vela(dir, ['rollback', 'book-info', '--sandbox']);
}
vela(dir, ['status', 'book-info', '--sandbox']);

chapter(
  'The rollback',
  'A fresh sandbox, the same canary at its approval gate, and this time it is rolled back:\ntraffic returns to reviews-v1 first, then its replicas, and reviews-v2 is removed.',
);
dir = freshSandbox();
vela(dir, ['up', example('first-deploy.yaml'), '--sandbox']);
vela(dir, ['up', example('rollout-v2.yaml'), '--sandbox', '--no-prompt']);
vela(dir, ['rollback', 'book-info', '--sandbox']);
vela(dir, ['status', 'book-info', '--sandbox']);

say(bold('Done.') + ' Against a real cluster, leave out --sandbox (README: "On a real cluster").');
finish(0);
