#!/usr/bin/env node
// npm run test:cluster: the seed walkthrough and its rollback against a real cluster (kind, or any
// cluster with Istio), never part of `npm test`. VELA_TS_E2E_KUBECONFIG names the kubeconfig;
// VELA_TS_E2E_CONTEXT optionally its context. Each scenario runs in a namespace of its own,
// created here (labelled istio-injection=enabled) and deleted afterwards, whatever happened.
// It checks the end states the sandbox tests check: reviews-v1 2/2 at 100% after the first
// deploy; 1+1 replicas at 90/10 at the gate; reviews-v2 2/2 at 100% after resume, reviews-v1 gone;
// after a rollback from the gate, reviews-v1 2/2 at 100% and reviews-v2 gone.
// Needs kubectl on PATH. Exit 0 all passed (or nothing to run), 1 a check failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const kubeconfig = process.env.VELA_TS_E2E_KUBECONFIG;
if (!kubeconfig) {
  console.log(
    'test:cluster: nothing run; set VELA_TS_E2E_KUBECONFIG to the kubeconfig of a cluster with Istio (kind is fine) to run the seed walkthrough and its rollback there',
  );
  process.exit(0);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const context = process.env.VELA_TS_E2E_CONTEXT;
const work = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-e2e-'));
const cacheDir = path.join(work, 'kubectl-cache');
const connection = ['--kubeconfig', kubeconfig, ...(context ? ['--context', context] : [])];
const failures = [];

function run(cmd, args, input) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' } });
  return { code: res.status ?? 1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}
const kubectl = (args, input) => run('kubectl', [...connection, '--cache-dir', cacheDir, ...args], input);
const vela = (ns, args) =>
  run(process.execPath, [path.join(root, 'bin/vela-ts.js'), ...connection, '-n', ns, ...args]);

function check(what, actual, expected) {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  console.log(
    `  ${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : `: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`}`,
  );
  if (!ok) failures.push(what);
  return ok;
}

function exits(ns, args, code) {
  const res = vela(ns, args);
  const shown = args
    .slice(0, 2)
    .map((a) => (a.startsWith(work) ? path.basename(a).replace(`${ns}-`, '') : a));
  if (!check(`vela-ts ${shown.join(' ')} exits ${code}`, res.code, code)) {
    process.stdout.write(res.stdout + res.stderr);
  }
}

/** What the reviews canary looks like in the cluster, read with kubectl: ready/desired and routes. */
function reviews(ns) {
  const deploys = JSON.parse(
    kubectl(['get', 'deployments', '-n', ns, '-o', 'json']).stdout || '{"items":[]}',
  );
  const ready = {};
  for (const d of deploys.items.filter((d) => d.metadata.name.startsWith('reviews-'))) {
    ready[d.metadata.name] = `${d.status?.readyReplicas ?? 0}/${d.spec.replicas}`;
  }
  const vs = JSON.parse(
    kubectl(['get', 'virtualservices.networking.istio.io', 'reviews', '-n', ns, '-o', 'json']).stdout || '{}',
  );
  const routes = (vs.spec?.http?.[0]?.route ?? []).map((r) => [
    r.destination.subset ?? r.destination.host,
    r.weight ?? 100,
  ]);
  return { ready, routes };
}

function scenario(name, body) {
  const ns = `vela-ts-e2e-${name}-${process.pid}`;
  console.log(`${name} (namespace ${ns})`);
  const created = kubectl(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'istio-injection': 'enabled' } },
    }),
  );
  if (!check('namespace created', created.code, 0)) {
    process.stdout.write(created.stderr);
    return;
  }
  try {
    body(ns);
  } finally {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  }
}

/** The seed's file, moved into the scenario's namespace (the examples name `default`). */
function example(name, ns) {
  const file = path.join(work, `${ns}-${name}`);
  const text = readFileSync(path.join(root, 'examples/bookinfo', name), 'utf8');
  writeFileSync(file, text.replace(/^(\s+namespace:) default$/m, `$1 ${ns}`));
  return file;
}

function toGate(ns) {
  exits(ns, ['up', example('first-deploy.yaml', ns), '--timeout', '5m'], 0);
  // No weights yet: the route is the whole Service, as KubeVela renders it.
  check('first deploy: reviews-v1 2/2, all traffic to Service reviews', reviews(ns), {
    ready: { 'reviews-v1': '2/2' },
    routes: [['reviews', 100]],
  });
  exits(ns, ['up', example('rollout-v2.yaml', ns), '--no-prompt', '--timeout', '5m'], 0);
  check('at the gate: 1+1 replicas, 90/10', reviews(ns), {
    ready: { 'reviews-v1': '1/1', 'reviews-v2': '1/1' },
    routes: [
      ['reviews-v1', 90],
      ['reviews-v2', 10],
    ],
  });
}

scenario('release', (ns) => {
  toGate(ns);
  exits(ns, ['workflow', 'resume', 'book-info', '--no-prompt', '--timeout', '5m'], 0);
  check('released: reviews-v2 2/2 at 100%, reviews-v1 gone', reviews(ns), {
    ready: { 'reviews-v2': '2/2' },
    routes: [['reviews-v2', 100]],
  });
});

scenario('rollback', (ns) => {
  toGate(ns);
  exits(ns, ['rollback', 'book-info', '--timeout', '5m'], 0);
  check('rolled back: reviews-v1 2/2 at 100%, reviews-v2 gone', reviews(ns), {
    ready: { 'reviews-v1': '2/2' },
    routes: [['reviews-v1', 100]],
  });
});

rmSync(work, { recursive: true, force: true });
console.log(
  failures.length ? `test:cluster: ${failures.length} check(s) failed` : 'test:cluster: all checks passed',
);
process.exit(failures.length ? 1 : 0);
