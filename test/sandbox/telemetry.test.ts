import {
  DURATION_BUCKETS_MS,
  MeshCounters,
  meshFlows,
  vanDerCorput,
  type Flow,
  type MeshObjects,
} from '../../src/sandbox/telemetry.js';
import type { KObject } from '../../src/sandbox/util.js';

// ------------------------------------------------------------------ fixtures: a bookinfo-like mesh

function pod(
  name: string,
  deployment: string,
  labels: Record<string, string>,
  opts: { ready?: boolean; annotations?: Record<string, string>; ns?: string } = {},
): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.ns ?? 'default',
      labels,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: deployment, controller: true },
      ],
    },
    status: { conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

const service: KObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: { selector: { 'app.oam.dev/component': 'reviews' }, ports: [{ name: 'port-9080', port: 9080 }] },
};

const rule: KObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: {
    host: 'reviews',
    subsets: [
      { name: 'reviews-v1', labels: { 'app.oam.dev/revision': 'reviews-v1' } },
      { name: 'reviews-v2', labels: { 'app.oam.dev/revision': 'reviews-v2' } },
    ],
  },
};

function virtualService(weights: [string, number][], gateways?: string[]): KObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      hosts: ['reviews'],
      ...(gateways ? { gateways } : {}),
      http: [
        {
          route: weights.map(([subset, weight]) => ({
            destination: { host: 'reviews', subset, port: { number: 9080 } },
            weight,
          })),
        },
      ],
    },
  };
}

const v1 = (n: string, o: Parameters<typeof pod>[3] = {}) =>
  pod(n, 'reviews-v1', { 'app.oam.dev/component': 'reviews', 'app.oam.dev/revision': 'reviews-v1' }, o);
const v2 = (n: string, o: Parameters<typeof pod>[3] = {}) =>
  pod(n, 'reviews-v2', { 'app.oam.dev/component': 'reviews', 'app.oam.dev/revision': 'reviews-v2' }, o);

function mesh(vs: KObject, pods: KObject[]): MeshObjects {
  return { virtualServices: [vs], destinationRules: [rule], services: [service], pods };
}

const rpsOf = (flows: Flow[], workload: string) =>
  flows.filter((f) => f.labels.destination_workload === workload).reduce((a, f) => a + f.rps, 0);

// ------------------------------------------------------------------ a tiny exposition-format parser

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text format strictly enough to catch a malformed line (it throws). */
function parse(text: string): { samples: Sample[]; types: Record<string, string> } {
  const samples: Sample[] = [];
  const types: Record<string, string> = {};
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('# HELP ')) continue;
    const t = line.match(/^# TYPE (\w+) (counter|gauge|histogram|summary|untyped)$/);
    if (t) {
      types[t[1]!] = t[2]!;
      continue;
    }
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let lm: RegExpExecArray | null;
    let consumed = 0;
    while ((lm = re.exec(m[2]!))) {
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed = re.lastIndex;
    }
    if (consumed !== m[2]!.length) throw new Error(`bad labels: ${line}`);
    const value = Number(m[3]);
    if (Number.isNaN(value)) throw new Error(`bad value: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

const sum = (samples: Sample[], name: string, pred: (l: Record<string, string>) => boolean = () => true) =>
  samples.filter((s) => s.name === name && pred(s.labels)).reduce((a, s) => a + s.value, 0);

/** histogram_quantile over cumulative buckets, interpolating linearly as Prometheus does. */
function quantile(q: number, samples: Sample[], pred: (l: Record<string, string>) => boolean): number {
  const byLe = new Map<number, number>();
  for (const s of samples)
    if (s.name === 'istio_request_duration_milliseconds_bucket' && pred(s.labels)) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)![1];
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    [prevLe, prevCount] = [le, count];
  }
  return NaN;
}

// ------------------------------------------------------------------ flows

describe('meshFlows: where the simulated requests go', () => {
  test('GIVEN a 90/10 VirtualService over two ready revisions THEN the rate splits 18/2 rps by weight', () => {
    const flows = meshFlows(
      mesh(
        virtualService([
          ['reviews-v1', 90],
          ['reviews-v2', 10],
        ]),
        [v1('a'), v2('b')],
      ),
      20,
    );
    expect(rpsOf(flows, 'reviews-v1')).toBeCloseTo(18);
    expect(rpsOf(flows, 'reviews-v2')).toBeCloseTo(2);
    const canary = flows.find((f) => f.labels.destination_workload === 'reviews-v2')!;
    expect(canary.labels).toMatchObject({
      reporter: 'destination',
      destination_workload_namespace: 'default',
      destination_service: 'reviews.default.svc.cluster.local',
      destination_service_name: 'reviews',
      destination_service_namespace: 'default',
      // No app/version labels on vela-ts pods: Istio falls back to the workload name and "latest".
      destination_canonical_service: 'reviews-v2',
      destination_canonical_revision: 'latest',
      destination_app: 'unknown',
      destination_version: 'unknown',
      source_workload: 'unknown',
      request_protocol: 'http',
      response_flags: '-',
    });
  });

  test('GIVEN weights that do not add up to 100 THEN they are shares of their sum', () => {
    const flows = meshFlows(
      mesh(
        virtualService([
          ['reviews-v1', 1],
          ['reviews-v2', 3],
        ]),
        [v1('a'), v2('b')],
      ),
      20,
    );
    expect(rpsOf(flows, 'reviews-v1')).toBeCloseTo(5);
    expect(rpsOf(flows, 'reviews-v2')).toBeCloseTo(15);
  });

  test('GIVEN a subset with ready and unready pods THEN only the ready ones serve it', () => {
    const flows = meshFlows(
      mesh(virtualService([['reviews-v1', 100]]), [v1('a'), v1('b', { ready: false }), v2('c')]),
      20,
    );
    expect(flows).toHaveLength(1);
    expect(flows[0]!.rps).toBeCloseTo(20);
    expect(flows[0]!.labels.destination_workload).toBe('reviews-v1');
  });

  test('GIVEN a subset with no ready pod THEN the source proxy answers its share 503 UH, workload unknown', () => {
    const flows = meshFlows(
      mesh(
        virtualService([
          ['reviews-v1', 90],
          ['reviews-v2', 10],
        ]),
        [v1('a'), v2('b', { ready: false })],
      ),
      20,
    );
    const failing = flows.find((f) => !f.upstream)!;
    expect(failing.rps).toBeCloseTo(2);
    expect(failing.labels).toMatchObject({
      reporter: 'source',
      destination_workload: 'unknown',
      destination_service_name: 'reviews',
      response_flags: 'UH',
    });
  });

  test('GIVEN a subset no DestinationRule defines THEN its share is 503 NC', () => {
    const flows = meshFlows(mesh(virtualService([['reviews-v9', 100]]), [v1('a')]), 20);
    expect(flows.map((f) => f.labels.response_flags)).toEqual(['NC']);
  });

  test('GIVEN a route without a subset THEN every ready pod of the Service serves an equal share', () => {
    const vs = virtualService([]);
    (vs.spec as any).http = [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }];
    const flows = meshFlows(mesh(vs, [v1('a'), v1('b'), v2('c')]), 30);
    expect(rpsOf(flows, 'reviews-v1')).toBeCloseTo(20);
    expect(rpsOf(flows, 'reviews-v2')).toBeCloseTo(10);
  });

  test('GIVEN a gateway-bound VirtualService THEN the source is the ingress gateway', () => {
    const flows = meshFlows(mesh(virtualService([['reviews-v1', 100]], ['ingressgateway']), [v1('a')]), 20);
    expect(flows[0]!.labels).toMatchObject({
      source_workload: 'istio-ingressgateway',
      source_workload_namespace: 'istio-system',
    });
  });

  test('GIVEN Istio canonical labels on the pods THEN they name the canonical service and revision', () => {
    const p = pod('a', 'reviews-v1', {
      'app.oam.dev/component': 'reviews',
      'app.oam.dev/revision': 'reviews-v1',
      app: 'reviews',
      version: 'v1',
    });
    const flows = meshFlows(mesh(virtualService([['reviews-v1', 100]]), [p]), 20);
    expect(flows[0]!.labels).toMatchObject({
      destination_app: 'reviews',
      destination_version: 'v1',
      destination_canonical_service: 'reviews',
      destination_canonical_revision: 'v1',
    });
  });

  test('GIVEN a host that is no Service, or a rate of 0 THEN no flow', () => {
    const vs = virtualService([]);
    (vs.spec as any).http = [{ route: [{ destination: { host: 'example.com' } }] }];
    expect(meshFlows(mesh(vs, [v1('a')]), 20)).toEqual([]);
    expect(meshFlows(mesh(virtualService([['reviews-v1', 100]]), [v1('a')]), 0)).toEqual([]);
  });

  test('GIVEN the annotations on a pod THEN its flow carries the error rate and latency; bad values fall back', () => {
    const flows = meshFlows(
      mesh(
        virtualService([
          ['reviews-v1', 50],
          ['reviews-v2', 50],
        ]),
        [
          v1('a', {
            annotations: { 'sandbox.vela-ts.dev/error-rate': 'lots', 'sandbox.vela-ts.dev/latency-ms': '-5' },
          }),
          v2('b', {
            annotations: { 'sandbox.vela-ts.dev/error-rate': '0.3', 'sandbox.vela-ts.dev/latency-ms': '900' },
          }),
        ],
      ),
      20,
    );
    const get = (w: string) => flows.find((f) => f.labels.destination_workload === w)!;
    expect([get('reviews-v2').errorRate, get('reviews-v2').latencyMs]).toEqual([0.3, 900]);
    expect([get('reviews-v1').errorRate, get('reviews-v1').latencyMs]).toEqual([0, 20]);
  });
});

// ------------------------------------------------------------------ counters

describe('MeshCounters: Istio metrics integrated over time', () => {
  const canaryMesh = (w2: number, annotations: Record<string, string>) =>
    mesh(
      virtualService([
        ['reviews-v1', 100 - w2],
        ['reviews-v2', w2],
      ]),
      [v1('a'), v2('b', { annotations })],
    );
  const isCanary = (l: Record<string, string>) => l.destination_workload === 'reviews-v2';

  test('GIVEN error-rate 0.3 on the canary THEN 70% of its requests succeed, the rest are 500', () => {
    const c = new MeshCounters();
    const flows = meshFlows(canaryMesh(10, { 'sandbox.vela-ts.dev/error-rate': '0.3' }), 20);
    for (let i = 0; i < 100; i++) c.advance(flows, 1000);
    const { samples } = parse(c.exposition());
    const total = sum(samples, 'istio_requests_total', isCanary);
    const ok = sum(samples, 'istio_requests_total', (l) => isCanary(l) && l.response_code === '200');
    const errors = sum(samples, 'istio_requests_total', (l) => isCanary(l) && l.response_code === '500');
    expect(total).toBe(200);
    expect(ok / total).toBeCloseTo(0.7, 5);
    expect(errors).toBe(60);
    expect(sum(samples, 'istio_requests_total', (l) => l.destination_workload === 'reviews-v1')).toBe(1800);
    expect(sum(samples, 'istio_requests_total', (l) => !isCanary(l) && l.response_code !== '200')).toBe(0);
  });

  test('GIVEN latency-ms 900 THEN p99 from the buckets is well above 500; the default 20 ms keeps it under 100', () => {
    const c = new MeshCounters();
    c.advance(meshFlows(canaryMesh(50, { 'sandbox.vela-ts.dev/latency-ms': '900' }), 20), 60_000);
    const { samples } = parse(c.exposition());
    expect(quantile(0.99, samples, isCanary)).toBeGreaterThan(500);
    expect(quantile(0.5, samples, isCanary)).toBeGreaterThan(500);
    expect(quantile(0.99, samples, (l) => l.destination_workload === 'reviews-v1')).toBeLessThan(100);
    // _sum / _count is the mean: L for an even spread over [L/2, 3L/2).
    const mean =
      sum(samples, 'istio_request_duration_milliseconds_sum', isCanary) /
      sum(samples, 'istio_request_duration_milliseconds_count', isCanary);
    expect(mean).toBeGreaterThan(880);
    expect(mean).toBeLessThan(920);
  });

  test('GIVEN a histogram THEN its buckets are cumulative, le="+Inf" equals _count, and the bounds are Istio\'s', () => {
    const c = new MeshCounters();
    c.advance(meshFlows(canaryMesh(10, { 'sandbox.vela-ts.dev/latency-ms': '300' }), 20), 30_000);
    const { samples, types } = parse(c.exposition());
    expect(types).toEqual({
      istio_requests_total: 'counter',
      istio_request_duration_milliseconds: 'histogram',
    });
    const counts = samples.filter((s) => s.name === 'istio_request_duration_milliseconds_count');
    expect(counts.length).toBeGreaterThan(0);
    for (const count of counts) {
      const same = (l: Record<string, string>) =>
        Object.entries(count.labels).every(([k, v]) => l[k] === v) &&
        Object.keys(l).length === Object.keys(count.labels).length + 1;
      const buckets = samples.filter(
        (s) => s.name === 'istio_request_duration_milliseconds_bucket' && same(s.labels),
      );
      expect(buckets.map((b) => b.labels.le)).toEqual([...DURATION_BUCKETS_MS.map(String), '+Inf']);
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(buckets.at(-1)!.value).toBe(count.value);
      const total = samples.find(
        (s) =>
          s.name === 'istio_requests_total' &&
          Object.entries(count.labels).every(([k, v]) => s.labels[k] === v),
      )!;
      expect(total.value).toBe(count.value);
    }
  });

  test('GIVEN weights that move, pods that go and a rate that varies THEN no counter ever goes back', () => {
    const c = new MeshCounters();
    const phases = [
      meshFlows(canaryMesh(10, {}), 20),
      meshFlows(canaryMesh(50, { 'sandbox.vela-ts.dev/error-rate': '0.5' }), 20),
      meshFlows(canaryMesh(0, {}), 20),
      meshFlows(mesh(virtualService([['reviews-v1', 100]]), []), 20),
      meshFlows(canaryMesh(100, {}), 7),
    ];
    let before = new Map<string, number>();
    for (const flows of phases)
      for (const ms of [1, 333, 1000, 17]) {
        c.advance(flows, ms);
        const now = new Map(
          parse(c.exposition()).samples.map((s) => [`${s.name}${JSON.stringify(s.labels)}`, s.value]),
        );
        for (const [k, v] of before) expect(now.get(k) ?? -1).toBeGreaterThanOrEqual(v);
        before = now;
      }
    expect(before.size).toBeGreaterThan(0);
  });

  test('GIVEN fractions of a request per step THEN they add up: 20 rps over 1000 steps of 1 ms is 20 requests', () => {
    const c = new MeshCounters();
    const flows = meshFlows(mesh(virtualService([['reviews-v1', 100]]), [v1('a')]), 20);
    for (let i = 0; i < 1000; i++) c.advance(flows, 1);
    expect(sum(parse(c.exposition()).samples, 'istio_requests_total')).toBe(20);
  });

  test('GIVEN a label value with quotes, backslashes or newlines THEN it is escaped', () => {
    const c = new MeshCounters();
    c.advance(
      [
        {
          labels: { reporter: 'destination', destination_workload: 'a"b\\c\nd' },
          rps: 1,
          errorRate: 0,
          latencyMs: 1,
          upstream: true,
        },
      ],
      1000,
    );
    const { samples } = parse(c.exposition());
    expect(samples[0]!.labels.destination_workload).toBe('a"b\\c\nd');
  });

  test('vanDerCorput spreads evenly over (0, 1)', () => {
    expect([1, 2, 3, 4].map(vanDerCorput)).toEqual([0.5, 0.25, 0.75, 0.125]);
  });
});
