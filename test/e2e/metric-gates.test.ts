/**
 * Metric gates end to end: the sandbox simulates the mesh's traffic (per-revision error rate and
 * latency from pod annotations), a real Prometheus scrapes it, and vela-ts reads it through the
 * API server's service proxy. Needs Debian's `prometheus` (.ci/run installs it): without it these
 * tests fail, never skip.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binPath, kubevelaExamples, repoRoot, runCli } from '../helpers/cli.js';
import { requirePrometheus } from '../helpers/prometheus.js';
import { SandboxCluster, type Obj } from '../helpers/sandbox-cluster.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const example = readFileSync(path.join(repoRoot, 'examples/bookinfo-metrics/release.yaml'), 'utf8');
const faulty = readFileSync(path.join(repoRoot, 'examples/bookinfo-metrics/release-faulty.yaml'), 'utf8');

const GATE = / {6}- name: check-canary\n[\s\S]*?(?=\n {6}# give user time)/;
/** The example with its gate replaced by `gate` (YAML lines under `- name: check-canary`), and annotations on the canary. */
function release(gate: string[], annotations: Record<string, string> = {}): string {
  let text = example.replace(
    GATE,
    ['      - name: check-canary', ...gate.map((l) => `        ${l}`)].join('\n'),
  );
  const notes = Object.entries(annotations);
  if (notes.length > 0)
    text = text.replace(
      '        image: docker.io/istio/examples-bookinfo-reviews-v3:1.16.2\n',
      `        image: docker.io/istio/examples-bookinfo-reviews-v3:1.16.2\n        annotations:\n${notes
        .map(([k, v]) => `          ${k}: "${v}"`)
        .join('\n')}\n`,
    );
  return text;
}
const quick = (properties: string[], timeout = '60s') => [
  'type: check-metrics',
  `timeout: ${timeout}`,
  'properties:',
  ...properties.map((p) => `  ${p}`),
];
const successRate = (duration = '4s') =>
  quick([
    'metric: request-success-rate',
    'thresholdRange: { min: 99 }',
    'interval: 1s',
    `duration: ${duration}`,
    'failDuration: 2s',
    'window: 5s',
  ]);

interface Sample {
  at: string;
  outcome: string;
  value?: number;
}
interface StatusJson {
  workflow: {
    phase: string;
    message?: string;
    steps: {
      name: string;
      phase: string;
      message?: string;
      metrics?: {
        samples: Sample[];
        failingSince?: string;
        passingSince?: string;
        verdict?: string;
        reason?: string;
      };
    }[];
  };
}

describe('metric gates against a real Prometheus', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster(30, 0, { prometheus: { bin: requirePrometheus() } }).start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterEach(() => c.stop());

  const status = async () =>
    JSON.parse((await c.vela(['status', 'book-info', '-o', 'json'])).stdout) as StatusJson;
  const gateOf = async () => (await status()).workflow.steps.find((s) => s.name === 'check-canary')!;

  it('GIVEN a healthy canary THEN its gate passes and the workflow waits at the approval; the query went through the service proxy', async () => {
    const up = await c.vela(['up', c.file('release.yaml', release(successRate())), '--no-prompt'], {
      timeoutMs: 90_000,
    });
    expect(up).toMatchObject({ code: 0 });
    const gate = await gateOf();
    expect(gate.phase).toBe('succeeded');
    expect(gate.metrics?.verdict).toBe('passed');
    const values = gate.metrics!.samples.filter((s) => s.value !== undefined).map((s) => s.value!);
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) expect(v).toBe(100);
    expect((await status()).workflow.phase).toBe('suspended');
    expect(await c.routes('reviews')).toEqual([
      ['reviews-v1', 90],
      ['reviews-v2', 10],
    ]);
    const proxied = c
      .audit()
      .filter((l) =>
        l.path.startsWith(
          '/api/v1/namespaces/istio-system/services/prometheus:9090/proxy/api/v1/query?query=',
        ),
      );
    expect(proxied.length).toBeGreaterThanOrEqual(values.length);
    expect(proxied.every((l) => l.code === 200 && l.userAgent?.startsWith('vela-ts'))).toBe(true);
  });

  it('GIVEN the faulty example (30% errors) THEN the gate fails within failDuration plus a scrape, the canary is rolled back, exit 1, and status names the rate', async () => {
    const text = faulty.replace(
      GATE,
      ['      - name: check-canary', ...successRate().map((l) => `        ${l}`)].join('\n'),
    );
    expect(text).toContain('sandbox.vela-ts.dev/error-rate: "0.3"');
    const up = await c.vela(['up', c.file('faulty.yaml', text), '--no-prompt'], { timeoutMs: 90_000 });
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(
      /step check-canary failed: success rate (6\d|7\d)(\.\d+)?% of reviews-v2 did not meet >= 99 for \d+s; rolled reviews back \(reviews-v1 100%\)/,
    );
    expect(await c.routes('reviews')).toEqual([['reviews-v1', 100]]);
    expect(await c.deployments()).toMatchObject({ 'reviews-v1': '2/2' });
    expect(Object.keys(await c.deployments())).not.toContain('reviews-v2');
    const s = await status();
    expect(s.workflow.phase).toBe('failed');
    const gate = s.workflow.steps.find((st) => st.name === 'check-canary')!;
    expect(gate.phase).toBe('failed');
    const failed = gate.metrics!.samples.at(-1)!;
    expect(failed.outcome).toBe('fail');
    // From the first failing measurement to the verdict: failDuration (2s) plus at most an interval and a scrape.
    expect(Date.parse(failed.at) - Date.parse(gate.metrics!.failingSince!)).toBeLessThanOrEqual(4_500);
    const table = await c.vela(['status', 'book-info']);
    expect(table.stdout).toMatch(/success rate \d+(\.\d+)?% of reviews-v2 did not meet >= 99/);
  });

  it('GIVEN a slow canary THEN request-duration fails it on its p99', async () => {
    const gate = quick([
      'metric: request-duration',
      'thresholdRange: { max: 500 }',
      'interval: 1s',
      'duration: 4s',
      'failDuration: 2s',
      'window: 5s',
    ]);
    const up = await c.vela(
      ['up', c.file('slow.yaml', release(gate, { 'sandbox.vela-ts.dev/latency-ms': '900' })), '--no-prompt'],
      { timeoutMs: 90_000 },
    );
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/p99 latency \d+(\.\d+)?ms of reviews-v2 did not meet <= 500/);
    expect(await c.routes('reviews')).toEqual([['reviews-v1', 100]]);
  });

  it('GIVEN Prometheus unreachable THEN the gate fails after 4 failed measurements, saying why', async () => {
    const pid = c.sandbox.prometheus?.pid;
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    const up = await c.vela(['up', c.file('release.yaml', release(successRate())), '--no-prompt'], {
      timeoutMs: 90_000,
    });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('4 measurements in a row failed:');
    expect(up.stderr).toContain('service prometheus in namespace istio-system');
    expect(await c.routes('reviews')).toEqual([['reviews-v1', 100]]);
  });

  it('GIVEN a query with no data THEN there is no verdict until the step times out, and it fails', async () => {
    const gate = quick(
      [
        'query: sum(rate(istio_requests_total{destination_workload="nobody"}[5s]))',
        'condition: ">=0"',
        'interval: 1s',
        'duration: 2s',
      ],
      '5s',
    );
    const up = await c.vela(['up', c.file('nodata.yaml', release(gate)), '--no-prompt'], {
      timeoutMs: 90_000,
    });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain("no verdict on reviews-v2 (>= 0) by the step's deadline; no data");
    const samples = (await gateOf()).metrics!.samples;
    expect(samples.every((s) => s.outcome === 'no-data')).toBe(true);
  });

  it('GIVEN a gate killed with SIGKILL mid-window THEN workflow resume continues the same window and passes', async () => {
    const file = c.file('release.yaml', release(successRate('8s')));
    const child = spawn(
      process.execPath,
      [binPath, '--kubeconfig', c.kubeconfig, 'up', file, '--no-prompt'],
      {
        cwd: c.dir,
        stdio: 'ignore',
      },
    );
    const measuring = (cm: Obj) => {
      const raw = cm.data?.['state.json'];
      if (cm.metadata.name !== 'vela-ts-book-info' || !raw) return false;
      const gate = (JSON.parse(raw) as StatusJson).workflow.steps[1]?.metrics;
      return (gate?.samples.filter((s) => s.outcome === 'pass').length ?? 0) >= 2;
    };
    const before = await c.until('two passing measurements', '', 'configmaps', measuring, 'default', 60_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const window = (JSON.parse((before.data as Record<string, string>)['state.json']!) as StatusJson).workflow
      .steps[1]!.metrics!.passingSince;
    const resumed = await c.vela(['workflow', 'resume', 'book-info', '--no-prompt'], { timeoutMs: 90_000 });
    expect(resumed.code).toBe(0);
    const gate = await gateOf();
    expect(gate.metrics?.verdict).toBe('passed');
    // The streak that began before the kill is the one that passed (no measurement failed meanwhile).
    expect(gate.metrics?.passingSince).toBe(window);
    expect((await status()).workflow.phase).toBe('suspended');
  });
});

describe('metric gates with --sandbox, Prometheus started on first use', () => {
  it('GIVEN the example in an empty folder THEN the gate measures real data and passes to the approval', async () => {
    requirePrometheus();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-gates-'));
    try {
      const env = { ...process.env, VELA_TS_SANDBOX_READY_DELAY_MS: '30' };
      expect(await runCli(['up', first, '--sandbox'], { cwd: dir, env })).toMatchObject({ code: 0 });
      const up = await runCli(
        ['up', path.join(repoRoot, 'examples/bookinfo-metrics/release.yaml'), '--sandbox', '--no-prompt'],
        {
          cwd: dir,
          env,
          timeoutMs: 120_000,
        },
      );
      expect(up).toMatchObject({ code: 0 });
      const s = JSON.parse(
        (await runCli(['status', '--sandbox', '-o', 'json'], { cwd: dir, env })).stdout,
      ) as StatusJson;
      const gate = s.workflow.steps.find((st) => st.name === 'check-canary')!;
      expect(gate.metrics?.verdict).toBe('passed');
      expect(gate.metrics?.samples.some((x) => x.value === 100)).toBe(true);
      expect(s.workflow.phase).toBe('suspended');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
