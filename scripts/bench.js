#!/usr/bin/env node
// `npm run bench`: wall time of the commands people run most, median of N runs of the built binary.
// Speed is measured here, never asserted in tests.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
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

// Asynchronous: the sandbox serves from this process, so a blocking spawn would stall it.
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Cluster commands, against a sandbox started here (so the numbers are vela-ts's, not a network's).
const { startSandbox } = await import(path.join(root, 'dist/sandbox/index.js'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-bench-'));
const kubeconfig = path.join(dir, 'kubeconfig');
const sandbox = await startSandbox({ port: 0, readyDelayMs: 10, kubeconfigPath: kubeconfig });
const k = ['--kubeconfig', kubeconfig];
const first = await run([...k, 'up', `${ex}/bookinfo/first-deploy.yaml`]);
if (first.status !== 0) {
  console.error(first.stderr);
  process.exit(1);
}
cases.push(
  ['up, unchanged (reads only)', [...k, 'up', `${ex}/bookinfo/first-deploy.yaml`]],
  ['status', [...k, 'status', 'book-info']],
  ['status -o json', [...k, 'status', 'book-info', '-o', 'json']],
);

console.log(`node ${process.version}, ${runs} runs each, median wall time`);
for (const [name, args] of cases) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = await run(args);
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
await sandbox.close();

// What the sandbox pays for its bundled, gzip-compressed schemas (schemas/README.md), in-process.
const { readSchema } = await import(path.join(root, 'dist/sandbox/paths.js'));
const schemaFiles = [
  'kubernetes-v1.32/api__v1_openapi.json',
  'kubernetes-v1.32/apis__apps__v1_openapi.json',
  'istio-1.29.6/networking.istio.io-crds.yaml',
];
const loads = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  for (const f of schemaFiles) readSchema(f);
  loads.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
console.log(`${'read + gunzip the schemas'.padEnd(28)} ${median(loads).toFixed(1).padStart(6)} ms`);
