/**
 * The simulated mesh telemetry, scraped by a real Prometheus and queried the way vela-ts and
 * kubectl reach it: through the sandbox's service proxy, with the kubeconfig's credentials.
 * Needs Debian's prometheus (.ci/run installs it); without it these tests fail, never skip.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { connect } from '../../src/cluster/connect.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runProcess } from '../helpers/cli.js';
import { PROMETHEUS_PROXY, queryUntil, requirePrometheus, viaProxy } from '../helpers/prometheus.js';
import { sharedTls } from '../helpers/tls.js';
import { raw, tmpDir } from './helpers.js';

const bin = requirePrometheus();

function deployment(name: string, replicas: number, annotations: Record<string, string> = {}) {
  const labels = { 'app.oam.dev/component': 'reviews', 'app.oam.dev/revision': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations },
        spec: {
          containers: [{ name: 'reviews', image: 'docker.io/istio/examples-bookinfo-reviews-v2:1.16.2' }],
        },
      },
    },
  };
}

const MESH = [
  ['/apis/apps/v1/namespaces/default/deployments', deployment('reviews-v1', 2)],
  [
    '/apis/apps/v1/namespaces/default/deployments',
    deployment('reviews-v2', 1, {
      'sandbox.vela-ts.dev/error-rate': '0.3',
      'sandbox.vela-ts.dev/latency-ms': '900',
    }),
  ],
  [
    '/api/v1/namespaces/default/services',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reviews' },
      spec: { selector: { 'app.oam.dev/component': 'reviews' }, ports: [{ name: 'port-9080', port: 9080 }] },
    },
  ],
  [
    '/apis/networking.istio.io/v1/namespaces/default/destinationrules',
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews' },
      spec: {
        host: 'reviews',
        subsets: [
          { name: 'reviews-v1', labels: { 'app.oam.dev/revision': 'reviews-v1' } },
          { name: 'reviews-v2', labels: { 'app.oam.dev/revision': 'reviews-v2' } },
        ],
      },
    },
  ],
  [
    '/apis/networking.istio.io/v1/namespaces/default/virtualservices',
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews' },
      spec: {
        hosts: ['reviews'],
        http: [
          {
            route: [
              { destination: { host: 'reviews', subset: 'reviews-v1' }, weight: 90 },
              { destination: { host: 'reviews', subset: 'reviews-v2' }, weight: 10 },
            ],
          },
        ],
      },
    },
  ],
  [
    '/api/v1/namespaces/default/services',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lonely' },
      spec: { selector: { app: 'nobody' }, ports: [{ name: 'http', port: 80 }] },
    },
  ],
] as const;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a sandbox with Prometheus (started with it)', () => {
  let dir: string;
  let sb: Sandbox;
  const audit = () => path.join(dir, 'audit.log');

  beforeAll(async () => {
    dir = tmpDir('vela-prometheus-');
    sb = await startSandbox({
      port: 0,
      readyDelayMs: 20,
      tls: sharedTls(),
      auditLogPath: audit(),
      kubeconfigPath: path.join(dir, 'kubeconfig'),
      prometheus: { bin },
    });
    for (const [p, body] of MESH) {
      const r = await raw(sb, 'POST', p, { body });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => sb?.close());

  test('GIVEN it started THEN Prometheus is ready and registered as Service istio-system/prometheus port 9090 "http"', async () => {
    expect(sb.prometheus!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(alive(sb.prometheus!.pid!)).toBe(true);
    const svc = await raw(sb, 'GET', '/api/v1/namespaces/istio-system/services/prometheus');
    expect(svc.status).toBe(200);
    expect(svc.body.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 9090 })]);
    const up = await queryUntil(sb, 'up{job="vela-ts-sandbox-mesh"}', (v) => v === 1);
    expect(up).toBe(1);
  });

  test('GIVEN a 90/10 canary with error-rate 0.3 and latency-ms 900 THEN PromQL through the proxy sees ~70% success and p99 > 500', async () => {
    const canary = 'reporter="destination",destination_workload="reviews-v2"';
    // Data for at least 8 scrapes of the canary's errors, so the 20s windows below are full enough.
    await queryUntil(
      sb,
      `count_over_time(istio_requests_total{${canary},response_code="500"}[20s])`,
      (n) => n >= 8,
    );
    const success = await queryUntil(
      sb,
      `sum(rate(istio_requests_total{${canary},response_code!~"5.."}[20s])) / sum(rate(istio_requests_total{${canary}}[20s]))`,
      () => true,
    );
    expect(success).toBeGreaterThan(0.62);
    expect(success).toBeLessThan(0.78);
    const p99 = await queryUntil(
      sb,
      `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${canary}}[20s])) by (le))`,
      () => true,
    );
    expect(p99).toBeGreaterThan(500);
    const stableP99 = await queryUntil(
      sb,
      'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload="reviews-v1"}[20s])) by (le))',
      () => true,
    );
    expect(stableP99).toBeLessThan(100);
    const share = await queryUntil(
      sb,
      `sum(rate(istio_requests_total{${canary}}[20s])) / sum(rate(istio_requests_total{destination_service_name="reviews"}[20s]))`,
      () => true,
    );
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);

    // The queries went through the API server, as the lead's check-metrics step sends them.
    const lines = readFileSync(audit(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({
        method: 'GET',
        code: 200,
        path: expect.stringMatching(
          /^\/api\/v1\/namespaces\/istio-system\/services\/prometheus:9090\/proxy\/api\/v1\/query\?query=/,
        ),
      }),
    );
  });

  test('GIVEN a POSTed form, a port by name, or a trailing path THEN the proxy passes method, body, status and Content-Type', async () => {
    const post = await viaProxy(sb, '/api/v1/query', { method: 'POST', form: { query: 'vector(42)' } });
    expect(post.status).toBe(200);
    expect(post.contentType).toMatch(/^application\/json/);
    expect(post.body.data.result[0].value[1]).toBe('42');

    const byName = await viaProxy(sb, '/api/v1/query?query=vector(7)', {
      proxyBase: '/api/v1/namespaces/istio-system/services/http:prometheus:http/proxy',
    });
    expect(byName.body.data.result[0].value[1]).toBe('7');

    // Prometheus' own errors come back as it sent them: status, JSON body.
    const bad = await viaProxy(sb, `/api/v1/query?query=${encodeURIComponent('sum(')}`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'error', errorType: 'bad_data' });

    const ready = await viaProxy(sb, '/-/ready');
    expect(ready.status).toBe(200);
    expect(ready.contentType).toMatch(/^text\/plain/);
  });

  test('GIVEN ids the apiserver refuses THEN the proxy answers as it does: 404, 503, 400 Status', async () => {
    const status = async (id: string) => {
      const r = await raw(sb, 'GET', `/api/v1/namespaces/default/services/${id}/proxy/`);
      return [r.status, r.body?.kind, r.body?.reason, r.body?.message];
    };
    expect(await status('nope:9090')).toEqual([404, 'Status', 'NotFound', 'services "nope" not found']);
    // Without a port number the apiserver reads the Endpoints object first.
    expect(await status('nope')).toEqual([404, 'Status', 'NotFound', 'endpoints "nope" not found']);
    expect(await status('lonely:80')).toEqual([
      503,
      'Status',
      'ServiceUnavailable',
      'no endpoints available for service "lonely"',
    ]);
    expect(await status('reviews:9081')).toEqual([
      503,
      'Status',
      'ServiceUnavailable',
      'no service port 9081 found for service "reviews"',
    ]);
    const [code, , reason, message] = await status('reviews:9080');
    expect([code, reason]).toEqual([503, 'ServiceUnavailable']);
    expect(message).toMatch(
      /^error trying to reach service: sandbox: pods are simulated, nothing listens on 10\.244\.\d+\.\d+:9080$/,
    );
    expect(await status('a:b:c:d')).toEqual([
      400,
      'Status',
      'BadRequest',
      'invalid service request "a:b:c:d"',
    ]);

    const unnamed = await raw(sb, 'GET', '/api/v1/namespaces/istio-system/services/prometheus/proxy/-/ready');
    // Its one port is named "http", and a bare name asks for the unnamed port.
    expect([unnamed.status, unnamed.body?.message]).toEqual([
      503,
      'no endpoints available for service "prometheus"',
    ]);
    const noToken = await raw(sb, 'GET', `${PROMETHEUS_PROXY}/-/ready`, { token: null });
    expect(noToken.status).toBe(401);
  });

  test('GIVEN kubectl get --raw THEN it reaches Prometheus through the proxy', async () => {
    const r = await runProcess('kubectl', [
      '--kubeconfig',
      path.join(dir, 'kubeconfig'),
      '--cache-dir',
      path.join(dir, 'kubectl-cache'),
      'get',
      '--raw',
      '/api/v1/namespaces/istio-system/services/prometheus:9090/proxy/api/v1/query?query=up',
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
  });
});

test('GIVEN a sandbox started with a lazy Prometheus THEN nothing runs until the first proxied request, and close() stops it', async () => {
  const sb = await startSandbox({
    port: 0,
    readyDelayMs: 20,
    tls: sharedTls(),
    prometheus: { bin, lazy: true },
  });
  try {
    expect(sb.prometheus!.url).toBeUndefined();
    expect(sb.prometheus!.pid).toBeUndefined();
    const svc = await raw(sb, 'GET', '/api/v1/namespaces/istio-system/services/prometheus');
    expect(svc.status).toBe(200);
    const ready = await viaProxy(sb, '/-/ready');
    expect(ready.status).toBe(200);
    expect(alive(sb.prometheus!.pid!)).toBe(true);
  } finally {
    const pid = sb.prometheus!.pid!;
    await sb.close();
    expect(alive(pid)).toBe(false);
  }
});

test('GIVEN Prometheus dies THEN the proxy answers 503 error trying to reach service, as for a crashed backend', async () => {
  const sb = await startSandbox({ port: 0, readyDelayMs: 20, tls: sharedTls(), prometheus: { bin } });
  try {
    const pid = sb.prometheus!.pid!;
    process.kill(pid, 'SIGKILL');
    // Nothing tells this process when another one has exited: look until it has, or time out.
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const r = await viaProxy(sb, '/api/v1/query?query=up');
    expect([r.status, r.body?.reason]).toEqual([503, 'ServiceUnavailable']);
    expect(r.body?.message).toMatch(/^error trying to reach service: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  } finally {
    await sb.close();
  }
});

test('GIVEN close() THEN Prometheus has exited and its folder is gone', async () => {
  const sb = await startSandbox({ port: 0, readyDelayMs: 20, tls: sharedTls(), prometheus: { bin } });
  const pid = sb.prometheus!.pid!;
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const tsdb = cmdline.find((a) => a.startsWith('--storage.tsdb.path='))!.split('=')[1]!;
  expect(existsSync(tsdb)).toBe(true);
  await sb.close();
  expect(alive(pid)).toBe(false);
  expect(existsSync(path.dirname(tsdb))).toBe(false);
});

test('GIVEN a binary that is not Prometheus THEN startSandbox fails saying Prometheus exited before it was ready', async () => {
  await expect(
    startSandbox({ port: 0, tls: sharedTls(), prometheus: { bin: '/bin/false' } }),
  ).rejects.toThrow('prometheus exited before it was ready');
});

test('GIVEN a sandbox without Prometheus THEN the proxy finds no such Service', async () => {
  const sb = await startSandbox({ port: 0, tls: sharedTls() });
  try {
    const r = await viaProxy(sb, '/api/v1/query?query=up');
    expect([r.status, r.body?.message]).toEqual([404, 'services "prometheus" not found']);
  } finally {
    await sb.close();
  }
});

describe('the in-process --sandbox', () => {
  test('GIVEN a prometheus binary THEN the Service is registered, Prometheus starts only on the first proxied request, and stops with the command', async () => {
    const dir = tmpDir('vela-inproc-prom-');
    // A stand-in that records each start, then becomes the real Prometheus (same pid).
    const mark = path.join(dir, 'started');
    const wrapper = path.join(dir, 'prometheus');
    writeFileSync(wrapper, `#!/bin/sh\necho "$$" >> '${mark}'\nexec '${bin}' "$@"\n`, { mode: 0o755 });
    const client = await connect({
      sandbox: true,
      cwd: dir,
      env: { HOME: dir, VELA_TS_PROMETHEUS_BIN: wrapper },
    });
    let pid: number | undefined;
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(path.join(dir, '.vela-ts', 'kubeconfig'));
      const sb = {
        url: kc.getCurrentCluster()!.server,
        caPem: Buffer.from(kc.getCurrentCluster()!.caData!, 'base64').toString(),
        token: kc.getCurrentUser()!.token!,
      };
      const svc = await raw(sb, 'GET', '/api/v1/namespaces/istio-system/services/prometheus');
      expect(svc.status).toBe(200);
      expect(existsSync(mark)).toBe(false);

      const ready = await viaProxy(sb, '/-/ready');
      expect(ready.status).toBe(200);
      const again = await viaProxy(sb, '/api/v1/query?query=vector(1)');
      expect(again.status).toBe(200);
      const starts = readFileSync(mark, 'utf8').trim().split('\n');
      expect(starts).toHaveLength(1);
      pid = Number(starts[0]);
      expect(alive(pid)).toBe(true);
    } finally {
      await client.close();
    }
    expect(alive(pid)).toBe(false);
  });

  test('GIVEN VELA_TS_PROMETHEUS_BIN="" THEN no Prometheus is registered', async () => {
    const dir = tmpDir('vela-inproc-prom-');
    const client = await connect({ sandbox: true, cwd: dir, env: { HOME: dir, VELA_TS_PROMETHEUS_BIN: '' } });
    try {
      const state = path.join(dir, '.vela-ts', 'kubeconfig');
      const kc = new KubeConfig();
      kc.loadFromFile(state);
      const sb = {
        url: kc.getCurrentCluster()!.server,
        caPem: Buffer.from(kc.getCurrentCluster()!.caData!, 'base64').toString(),
        token: kc.getCurrentUser()!.token!,
      };
      const r = await viaProxy(sb, '/-/ready');
      expect([r.status, r.body?.message]).toEqual([404, 'services "prometheus" not found']);
    } finally {
      await client.close();
    }
  });
});
