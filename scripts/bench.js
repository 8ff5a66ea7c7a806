#!/usr/bin/env node
// `npm run bench`: how fast the commands people run most start and finish, side by side with what
// they are measured against, and BENCHMARKS.md written from the figures. Speed is measured here,
// never asserted in tests.
//
//   node scripts/bench.js [--runs N] [--no-walkthrough] [--scale] [--callgrind] [--baseline DIR]
//                         [--out FILE] [--no-write]
//
// Every case runs once per round and the rounds repeat N times (interleaved), so a burst of load
// from another process hits all cases alike; figures are medians. --callgrind adds instruction
// counts (valgrind), which do not move with the load of the machine. --scale adds render and plan
// of generated 1k/2k/5k/10k-component apps, `up` of 500 and 1,000 components and the sandbox's
// GET/PATCH/LIST throughput with 5,000 objects (slow; each capped). The built binary is measured:
// run `npm run build` first (npm run bench does not build, so it measures what dist/ holds).
// --baseline DIR adds each vela-ts command run from another built tree (an older commit, say), in
// the same rounds, so a before/after comparison is side by side too.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/vela-ts.js');
const ex = path.join(root, 'examples');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const runs = Number(value('--runs', process.env.BENCH_RUNS ?? 15));
const out = path.resolve(value('--out', path.join(root, 'BENCHMARKS.md')));
const withWalkthrough = !flag('--no-walkthrough');
const withScale = flag('--scale');
const withCallgrind = flag('--callgrind');
const baseline = argv.includes('--baseline') ? path.resolve(value('--baseline', '')) : undefined;

if (!fs.existsSync(path.join(root, 'dist/cli/main.js'))) {
  console.error('bench: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const kubectl = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
const kubectlVersion = kubectl.status === 0 ? JSON.parse(kubectl.stdout).clientVersion.gitVersion : undefined;

/** Exit hook loaded with --import: reports the child's peak RSS on stderr. */
const rssHook =
  'data:text/javascript,' +
  encodeURIComponent(
    "process.on('exit',()=>process.stderr.write('\\n[maxrss] '+process.resourceUsage().maxRSS+'\\n'))",
  );

// Asynchronous: the sandbox serves from this process, so a blocking spawn would stall it.
function run(cmd, args, { cwd = root, env, timeoutMs = 120_000, rss = false } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd,
      env: {
        ...process.env,
        VELA_TS_COMPILE_CACHE: compileCache,
        ...env,
        ...(rss ? { NODE_OPTIONS: `--import=${rssHook}` } : {}),
      },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const m = /\[maxrss\] (\d+)/.exec(stderr);
      resolve({ status, signal, stderr, ms, maxRssKb: m ? Number(m[1]) : undefined });
    });
  });
}

const vela = (args, opts) => run(process.execPath, [bin, ...args], opts);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function fail(what, r) {
  console.error(`bench: ${what} exited ${r.status ?? r.signal}\n${r.stderr}`);
  process.exit(1);
}

const { startSandbox } = await import(path.join(root, 'dist/sandbox/index.js'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-ts-bench-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
// The binary keeps V8's code cache per command (src/cli/compile-cache.ts): a folder of the bench's
// own, filled by a first run of each case before the rounds; the "no code cache" cases turn it off.
const compileCache = path.join(work, 'compile-cache');

// --- Start-up: each command beside its baseline ----------------------------------------------
// Cluster commands go to a sandbox started here, so the numbers are vela-ts's, not a network's;
// kubectl reads the same sandbox with the same kubeconfig.
const kubeconfig = path.join(work, 'kubeconfig');
const sandbox = await startSandbox({ port: 0, readyDelayMs: 10, kubeconfigPath: kubeconfig });
const k = ['--kubeconfig', kubeconfig];
const deployed = await vela([...k, 'up', `${ex}/bookinfo/first-deploy.yaml`]);
if (deployed.status !== 0) fail('up first-deploy.yaml', deployed);

const node = (args) => ({ cmd: process.execPath, args });
const cli = (args) => ({ cmd: process.execPath, args: [bin, ...args] });
const cases = [
  { name: 'node -e 0', ...node(['-e', '0']) },
  { name: 'vela-ts --help', ...cli(['--help']), vs: 'node -e 0' },
  { name: 'vela-ts render', ...cli(['render', `${ex}/bookinfo/first-deploy.yaml`]), vs: 'node -e 0' },
  {
    name: 'vela-ts plan',
    ...cli(['plan', `${ex}/bookinfo/rollout-v2.yaml`, '--from', `${ex}/bookinfo/first-deploy.yaml`]),
    vs: 'node -e 0',
  },
  ...(kubectlVersion
    ? [{ name: 'kubectl get deploy', cmd: 'kubectl', args: [...k, 'get', 'deploy', '-n', 'default'] }]
    : []),
  { name: 'vela-ts status', ...cli([...k, 'status', 'book-info']), vs: 'kubectl get deploy' },
  {
    name: 'vela-ts status -o json',
    ...cli([...k, 'status', 'book-info', '-o', 'json']),
    vs: 'kubectl get deploy',
  },
  {
    name: 'vela-ts up, unchanged',
    ...cli([...k, 'up', `${ex}/bookinfo/first-deploy.yaml`]),
    vs: 'kubectl get deploy',
  },
];
const cold = (name, vs) => {
  const c = cases.find((x) => x.name === name);
  return { ...c, name: `${name}, no code cache`, env: { VELA_TS_COMPILE_CACHE: 'off' }, vs };
};
cases.push(
  cold('vela-ts render', 'node -e 0'),
  ...(kubectlVersion ? [cold('vela-ts status', 'kubectl get deploy')] : []),
);
if (baseline) {
  const other = path.join(baseline, 'bin/vela-ts.js');
  for (const c of cases.filter((x) => x.args[0] === bin)) {
    cases.push({ ...c, name: `${c.name} (baseline)`, args: [other, ...c.args.slice(1)] });
  }
}

const times = new Map(cases.map((c) => [c.name, []]));
console.log(`start-up: ${cases.length} cases, ${runs} interleaved rounds`);
for (const c of cases) await run(c.cmd, c.args, { env: c.env });
for (let i = 0; i < runs; i++) {
  for (const c of cases) {
    const r = await run(c.cmd, c.args, { env: c.env });
    if (r.status !== 0) fail(c.name, r);
    times.get(c.name).push(r.ms);
  }
  process.stdout.write('.');
}
process.stdout.write('\n');

// Instruction counts: deterministic where wall times are not (valgrind runs each process ~50x slower).
const instructions = new Map();
if (withCallgrind) {
  const outFile = path.join(work, 'callgrind.out');
  for (const c of cases) {
    const r = await run(
      'valgrind',
      ['--tool=callgrind', '--trace-children=no', `--callgrind-out-file=${outFile}`, c.cmd, ...c.args],
      { timeoutMs: 600_000, env: c.env },
    );
    const m = /Collected : (\d+)/.exec(r.stderr);
    // valgrind cannot run some programs (kubectl, a Go binary, crashes it): no count for those.
    if (r.status === 0 && m) instructions.set(c.name, Number(m[1]));
    process.stdout.write('.');
  }
  process.stdout.write('\n');
}
await sandbox.close();

// --- The seed walkthrough: canary + promotion, pods ready 1 s after creation ------------------
let walkthrough;
if (withWalkthrough) {
  // Twice, each on a sandbox of its own: the first run leaves the commands' code cache, as any
  // run before does on a user's machine; the second is measured.
  for (let round = 0; round < 2; round++) {
    const dir = fs.mkdtempSync(path.join(work, 'walk-'));
    const audit = path.join(dir, 'audit.log');
    const kc = path.join(dir, 'kubeconfig');
    const sb = await startSandbox({ port: 0, readyDelayMs: 1000, kubeconfigPath: kc, auditLogPath: audit });
    const w = ['--kubeconfig', kc];
    const first = await vela([...w, 'up', `${ex}/bookinfo/first-deploy.yaml`]);
    if (first.status !== 0) fail('walkthrough: up first-deploy.yaml', first);
    const before = fs.readFileSync(audit, 'utf8').split('\n').filter(Boolean).length;
    const canary = await vela([...w, 'up', `${ex}/bookinfo/rollout-v2.yaml`, '--no-prompt']);
    if (canary.status !== 0) fail('walkthrough: up rollout-v2.yaml', canary);
    const resume = await vela([...w, 'workflow', 'resume', 'book-info']);
    if (resume.status !== 0) fail('walkthrough: workflow resume', resume);
    const requests = fs.readFileSync(audit, 'utf8').split('\n').filter(Boolean).length - before;
    await sb.close();
    // Two batches, each waiting for one new pod to become ready: 2 s of the time is the pods'.
    walkthrough = { requests, ms: canary.ms + resume.ms, overMs: canary.ms + resume.ms - 2000 };
  }
}

// --- Scale: generated apps of many components (opt in) ----------------------------------------
function generatedApp(n, image) {
  const lines = [
    'apiVersion: core.oam.dev/v1beta1',
    'kind: Application',
    'metadata:',
    '  name: big',
    '  namespace: default',
    'spec:',
    '  components:',
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `    - name: svc-${i}`,
      '      type: webservice',
      '      properties:',
      `        image: example.com/svc-${i}:${image}`,
      '        port: 8080',
      '      traits:',
      '        - type: expose',
      '          properties:',
      '            port: [8080]',
    );
  }
  return `${lines.join('\n')}\n`;
}
const scale = [];
if (withScale) {
  for (const n of [1000, 2000, 5000, 10000]) {
    const v1 = path.join(work, `big-${n}-v1.yaml`);
    const v2 = path.join(work, `big-${n}-v2.yaml`);
    fs.writeFileSync(v1, generatedApp(n, 'v1'));
    fs.writeFileSync(v2, generatedApp(n, 'v2'));
    for (const [what, args] of [
      ['render', ['render', v1]],
      ['plan', ['plan', v2, '--from', v1]],
      ['plan -o json', ['plan', v2, '--from', v1, '-o', 'json']],
    ]) {
      const r = await vela(args, { rss: true, timeoutMs: 120_000 });
      const outcome =
        r.status === 0
          ? 'ok'
          : r.signal
            ? 'stopped after 120 s'
            : `exit ${r.status}: ${r.stderr.split('\n').find((l) => l.trim() && !l.startsWith('[maxrss]')) ?? ''}`;
      scale.push({ n, what, ms: r.ms, maxRssKb: r.maxRssKb, outcome });
      process.stdout.write('.');
    }
  }
  process.stdout.write('\n');
}

// `up` of generated apps against a fresh sandbox each (pods ready at once), and the sandbox's own
// GET / PATCH / LIST throughput with 5,000 objects in one namespace, 8 requests in flight.
const ups = [];
let throughput;
if (withScale) {
  for (const n of [500, 1000]) {
    const dir = fs.mkdtempSync(path.join(work, `up-${n}-`));
    const kc = path.join(dir, 'kubeconfig');
    const sb = await startSandbox({ port: 0, kubeconfigPath: kc });
    const file = path.join(dir, 'app.yaml');
    fs.writeFileSync(file, generatedApp(n, 'v1'));
    const r = await vela(['--kubeconfig', kc, 'up', file], { rss: true, timeoutMs: 300_000 });
    ups.push({
      n,
      ms: r.ms,
      maxRssKb: r.maxRssKb,
      outcome: r.status === 0 ? 'ok' : r.signal ? 'stopped after 300 s' : `exit ${r.status}`,
    });
    await sb.close();
    process.stdout.write('.');
  }
  const https = await import('node:https');
  const sb = await startSandbox({ port: 0 });
  const agent = new https.Agent({ ca: sb.caPem, keepAlive: true, maxSockets: 8 });
  const call = (method, p, body, type = 'application/json') =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `${sb.url}${p}`,
        {
          method,
          agent,
          headers: { authorization: `Bearer ${sb.token}`, 'content-type': type, accept: 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode < 300 ? resolve() : reject(new Error(`${method} ${p}: ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const pool = async (count, fn) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < count) await fn(next++);
      }),
    );
  };
  const base = '/api/v1/namespaces/default/configmaps';
  await pool(5000, (i) =>
    call('POST', base, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}` },
      data: { i: String(i) },
    }),
  );
  const rate = async (count, fn) => {
    const t = performance.now();
    await pool(count, fn);
    return count / ((performance.now() - t) / 1000);
  };
  throughput = {
    get: await rate(2000, (i) => call('GET', `${base}/cm-${i % 5000}`)),
    patch: await rate(2000, (i) =>
      call('PATCH', `${base}/cm-${i % 5000}`, { data: { p: String(i) } }, 'application/merge-patch+json'),
    ),
    list: await rate(40, () => call('GET', base)),
  };
  agent.destroy();
  await sb.close();
  process.stdout.write('\n');
}

// What the sandbox pays for its bundled, gzip-compressed schemas (schemas/README.md), in-process.
const { readSchema } = await import(path.join(root, 'dist/sandbox/paths.js'));
const schemaFiles = [
  'kubernetes-v1.32/api__v1_openapi.json',
  'kubernetes-v1.32/apis__apps__v1_openapi.json',
  'istio-1.29.6/networking.istio.io-crds.yaml',
];
const loads = [];
for (let i = 0; i < Math.min(runs, 9); i++) {
  const t0 = process.hrtime.bigint();
  for (const f of schemaFiles) readSchema(f);
  loads.push(Number(process.hrtime.bigint() - t0) / 1e6);
}

// --- Report -------------------------------------------------------------------------------------
const med = new Map([...times].map(([name, xs]) => [name, median(xs)]));
const ratio = (a, b) => (med.get(a) / med.get(b)).toFixed(2);
const targets = {
  'vela-ts --help': 1.4,
  'vela-ts render': 1.6,
  'vela-ts status': 2.0,
};
const ms = (x) => `${x.toFixed(0)} ms`;
const cpus = os.cpus();
const machine = `${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, load average ${os.loadavg()[0].toFixed(2)} at the end`;

const rows = cases.map((c) => {
  const xs = times.get(c.name);
  const cells = [
    c.name,
    ms(med.get(c.name)),
    `${ms(Math.min(...xs))} / ${ms(Math.max(...xs))}`,
    c.vs && med.has(c.vs) ? `${ratio(c.name, c.vs)}x ${c.vs}` : '',
    targets[c.name] ? `<= ${targets[c.name]}x` : '',
  ];
  if (withCallgrind) {
    // Against node -e 0 for all: valgrind cannot count kubectl's.
    const count = instructions.get(c.name);
    const base = instructions.get('node -e 0');
    const vsNode = base && c.name !== 'node -e 0' ? ` (${(count / base).toFixed(2)}x node -e 0)` : '';
    cells.push(count === undefined ? 'n/a' : `${(count / 1e6).toFixed(0)} M${vsNode}`);
  }
  return cells;
});
const header = [
  'command',
  'median',
  'min / max',
  'ratio',
  'target',
  ...(withCallgrind ? ['instructions'] : []),
];
const table = (head, body) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

const md = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` (scripts/bench.js) on ${new Date().toISOString().slice(0, 10)}; the figures below are`,
  'one run of it, on the machine named here. Timings on a shared machine are noisy: compare ratios',
  'taken in the same run, not figures from different runs.',
  '',
  `- Machine: ${machine}`,
  `- node ${process.version}${kubectlVersion ? `, kubectl ${kubectlVersion}` : ', kubectl not found (no status ratio)'}`,
  `- ${runs} interleaved rounds: each round runs every command once, in order; medians of the rounds`,
  ...(baseline ? [`- "(baseline)": the same command run from the build in ${baseline}`] : []),
  '',
  '## Start-up',
  '',
  'Wall time of one process, from spawn to exit. `render` and `plan` use `examples/bookinfo/`; the',
  'cluster commands and kubectl talk to the same in-process sandbox (bookinfo deployed) through the',
  "same kubeconfig. Each command runs once before the rounds, so it starts from V8's code cache as",
  'every run after a first one does; the "no code cache" rows are the first run (or',
  '`VELA_TS_COMPILE_CACHE=off`).',
  '',
  table(header, rows),
  '',
  '## The seed walkthrough',
  '',
  walkthrough
    ? [
        'Pods become ready 1 s after creation; after `up first-deploy.yaml`, `up rollout-v2.yaml --no-prompt`',
        "then `workflow resume book-info` (two batches of one pod: 2 s of the time is the pods' own),",
        "measured in the second of two such runs (the first leaves the commands' code cache).",
        '',
        table(
          ['measure', 'value', 'target'],
          [
            ['API requests (sandbox audit log)', String(walkthrough.requests), '<= 60'],
            ['wall time of the two commands', ms(walkthrough.ms), ''],
            ['over the 2 s the pods need', ms(walkthrough.overMs), '<= 600 ms'],
          ],
        ),
      ].join('\n')
    : 'Not measured in this run (--no-walkthrough).',
  '',
  '## Scale',
  '',
  scale.length
    ? [
        'Generated apps of N `webservice` components with an `expose` trait; `plan` changes every image.',
        'Each command is stopped after 120 s.',
        '',
        table(
          ['components', 'command', 'wall', 'peak RSS', 'outcome'],
          scale.map((s) => [
            String(s.n),
            s.what,
            ms(s.ms),
            s.maxRssKb ? `${(s.maxRssKb / 1024).toFixed(0)} MiB` : '',
            s.outcome,
          ]),
        ),
      ].join('\n')
    : 'Not measured in this run: `npm run bench -- --scale` adds render and plan of 1k/2k/5k/10k generated components.',
  '',
  ups.length
    ? [
        '`up` of a generated app (as above) against a fresh sandbox, pods ready at once; stopped after 300 s.',
        '',
        table(
          ['components', 'command', 'wall', 'peak RSS', 'outcome'],
          ups.map((u) => [
            String(u.n),
            'up',
            ms(u.ms),
            u.maxRssKb ? `${(u.maxRssKb / 1024).toFixed(0)} MiB` : '',
            u.outcome,
          ]),
        ),
        '',
        'The sandbox with 5,000 ConfigMaps in one namespace, 8 requests in flight over keep-alive HTTPS:',
        '',
        table(
          ['request', 'per second'],
          [
            ['GET one object', throughput.get.toFixed(0)],
            ['PATCH one object (merge patch)', throughput.patch.toFixed(0)],
            ['LIST all 5,000', throughput.list.toFixed(1)],
          ],
        ),
      ].join('\n')
    : 'Not measured in this run: `--scale` adds `up` of 500 and 1,000 components and the sandbox throughput with 5k objects.',
  '',
  '## Sandbox',
  '',
  `Reading and gunzipping its bundled schemas, in-process: ${median(loads).toFixed(1)} ms (median).`,
  '',
  '## Reproduce',
  '',
  '```sh',
  'npm ci && npm run build',
  'npm run bench                          # start-up and walkthrough, writes BENCHMARKS.md',
  'npm run bench -- --runs 31 --callgrind # more rounds, plus instruction counts (needs valgrind)',
  'npm run bench -- --scale               # plus 1k..10k components, up of 500/1k, sandbox throughput (minutes)',
  'npm run bench -- --no-write            # print only',
  '# before/after, side by side: build another commit in a folder of its own, then',
  'git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)',
  'npm run bench -- --baseline /tmp/before',
  '```',
  '',
].join('\n');

// What people wrote below the marker (analysis, hand measurements) survives a new run.
const NOTES = '<!-- Notes: written by hand; npm run bench keeps everything below this line. -->';
const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
const notes = previous.includes(NOTES) ? previous.slice(previous.indexOf(NOTES)) : `${NOTES}\n`;

console.log(md);
if (!flag('--no-write')) {
  fs.writeFileSync(out, `${md}\n${notes}`);
  console.log(`bench: wrote ${path.relative(process.cwd(), out) || out}`);
}
