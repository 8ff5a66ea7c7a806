#!/usr/bin/env node
// `npm run bench`: wall time of the commands people run most, median of N runs of the built binary.
// Speed is measured here, never asserted in tests.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/vela-ts.js');
const ex = path.join(root, 'examples');
const runs = Number(process.env.BENCH_RUNS ?? 9);

const cases = [
  ['--help', ['--help']],
  ['render bookinfo', ['render', `${ex}/bookinfo/first-deploy.yaml`]],
  [
    'plan bookinfo rollout',
    ['plan', `${ex}/bookinfo/rollout-v2.yaml`, '--from', `${ex}/bookinfo/first-deploy.yaml`],
  ],
  [
    'plan shop canary -o json',
    ['plan', `${ex}/checkout/canary.yaml`, '--from', `${ex}/checkout/app.yaml`, '-o', 'json'],
  ],
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

console.log(`node ${process.version}, ${runs} runs each, median wall time`);
for (const [name, args] of cases) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
      console.error(`${name}: exit ${r.status}\n${r.stderr}`);
      process.exit(1);
    }
    times.push(ms);
  }
  console.log(
    `${name.padEnd(28)} ${median(times).toFixed(0).padStart(6)} ms  (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`,
  );
}
