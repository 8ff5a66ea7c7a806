/**
 * The simulated mesh's telemetry: what Istio's proxies would report for the traffic the sandbox's
 * VirtualServices route, as Istio's standard metrics (`istio_requests_total`,
 * `istio_request_duration_milliseconds`) in Prometheus text format. Pure: objects in, flows out
 * (meshFlows), and a counter set that integrates flows over time it is told about (MeshCounters).
 * metrics.ts feeds it from the store on the sandbox's clock and serves it.
 *
 * The model, where Istio leaves a choice:
 * - Every VirtualService with http routes gets `rps` requests a second, shared evenly by its http
 *   rules, then by each rule's route weights (normalised by their sum, as Istio does; a single
 *   route without a weight takes it all).
 * - A destination host resolves to a Service of the sandbox (short, `name.ns`, `name.ns.svc` or the
 *   FQDN); a host that is no Service (an external one) gets no telemetry. Its subset's
 *   DestinationRule labels plus the Service selector pick the pods; only ready pods serve, each an
 *   equal share.
 * - A subset with no ready pod: the source proxy answers 503 itself (`response_flags` "UH", no
 *   healthy upstream; "NC" when the subset is not in any DestinationRule), reported with
 *   `reporter="source"` and `destination_workload="unknown"`, as Envoy does. Served requests are
 *   reported once, by the destination (`reporter="destination"`).
 * - A pod's annotations (copied from its template) set its behaviour: `sandbox.vela-ts.dev/error-rate`
 *   the share of its requests answered 500 (Bresenham-spread, so exactly that share: 0.3 is 30 of
 *   every 100), `sandbox.vela-ts.dev/latency-ms` the typical latency L: request i takes
 *   L * (0.5 + u_i), u_i the base-2 van der Corput sequence, so latencies spread evenly over
 *   [L/2, 3L/2) (median L). Deterministic: no randomness anywhere. A value that is not a number
 *   in range (error rate 0..1, latency 0..3600000) is ignored: 0 errors, 20 ms.
 */
import { isObj, type KObject, type Obj } from './util.js';

export const ERROR_RATE_ANNOTATION = 'sandbox.vela-ts.dev/error-rate';
export const LATENCY_ANNOTATION = 'sandbox.vela-ts.dev/latency-ms';
/** Requests a second per VirtualService, unless told otherwise. */
export const DEFAULT_TRAFFIC_RPS = 20;
/** Typical latency of a pod without a latency annotation. */
export const DEFAULT_LATENCY_MS = 20;
/** Istio's default bucket bounds for istio_request_duration_milliseconds (+Inf added when printed). */
export const DURATION_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

export interface MeshObjects {
  virtualServices: KObject[];
  destinationRules: KObject[];
  services: KObject[];
  pods: KObject[];
}

/** One steady stream of requests: everything about them except the response code. */
export interface Flow {
  /** The series' labels, response_code aside (Istio's standard label names). */
  labels: Record<string, string>;
  /** Requests a second. */
  rps: number;
  /** Share (0..1) answered with an error: 500 from the app, or all of them when `upstream` is false. */
  errorRate: number;
  /** Typical latency in ms. */
  latencyMs: number;
  /** false: no ready pod, the source proxy answers 503 at once. */
  upstream: boolean;
}

const UNKNOWN = 'unknown';

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function labelsOf(o: KObject): Record<string, string> {
  return o.metadata.labels ?? {};
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function isReadyPod(p: KObject): boolean {
  if (p.metadata.deletionTimestamp) return false;
  const conds = isObj(p.status) && Array.isArray(p.status.conditions) ? (p.status.conditions as Obj[]) : [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A host as Istio resolves it in `namespace`: short names are relative to it. Returns [name, ns]. */
function resolveHost(host: string, namespace: string): [string, string] | undefined {
  const parts = host.split('.');
  if (parts.length === 1) return [parts[0]!, namespace];
  if (parts.length === 2) return [parts[0]!, parts[1]!];
  if (parts.length === 3 && parts[2] === 'svc') return [parts[0]!, parts[1]!];
  if (parts.length === 5 && parts.slice(2).join('.') === 'svc.cluster.local') return [parts[0]!, parts[1]!];
  return undefined;
}

/** An annotation as a number in [min, max]; anything else is ignored (a typo never breaks the sandbox). */
function annotationNumber(pod: KObject, key: string, fallback: number, min: number, max: number): number {
  const text = pod.metadata.annotations?.[key];
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  return Number.isFinite(n) && n >= min && n <= max ? n : fallback;
}

/**
 * The workload a pod belongs to, as Istio names it: its Deployment, which is its ReplicaSet's name
 * without the pod-template-hash (the sidecar injector's workload-name rule).
 */
function workloadOf(pod: KObject): string {
  const owner = pod.metadata.ownerReferences?.find((r) => r.controller) ?? pod.metadata.ownerReferences?.[0];
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner?.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`))
    return owner.name.slice(0, -hash.length - 1);
  return owner?.name ?? pod.metadata.name ?? UNKNOWN;
}

/** Istio's canonical service and revision label rules (pkg/model/labels, the sidecar injector). */
export function canonicalOf(labels: Record<string, string>, workload: string): [string, string] {
  const service =
    labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels.app ?? workload;
  const revision =
    labels['service.istio.io/canonical-revision'] ??
    labels['app.kubernetes.io/version'] ??
    labels.version ??
    'latest';
  return [service, revision];
}

function sourceLabels(gatewayBound: boolean): Record<string, string> {
  return gatewayBound
    ? {
        source_workload: 'istio-ingressgateway',
        source_workload_namespace: 'istio-system',
        source_app: 'istio-ingressgateway',
        source_version: UNKNOWN,
        source_canonical_service: 'istio-ingressgateway',
        source_canonical_revision: 'latest',
      }
    : {
        source_workload: UNKNOWN,
        source_workload_namespace: UNKNOWN,
        source_app: UNKNOWN,
        source_version: UNKNOWN,
        source_canonical_service: UNKNOWN,
        source_canonical_revision: UNKNOWN,
      };
}

function byKey(a: KObject, b: KObject): number {
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * The request streams the mesh carries right now: one per (route destination, serving workload).
 * Flows with equal labels are merged (their rates add up).
 */
export function meshFlows(mesh: MeshObjects, rps: number): Flow[] {
  const out = new Map<string, Flow>();
  const add = (f: Flow) => {
    const key = seriesKey(f.labels);
    const prev = out.get(key);
    if (!prev) return out.set(key, f);
    // Same series from two routes: rates add; behaviour is the pods', which are the same.
    prev.rps += f.rps;
  };
  if (!(rps > 0)) return [];
  const services = new Map(mesh.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));

  for (const vs of [...mesh.virtualServices].sort(byKey)) {
    const vsNs = vs.metadata.namespace ?? 'default';
    const spec = isObj(vs.spec) ? vs.spec : {};
    const gateways = Array.isArray(spec.gateways) ? spec.gateways.filter((g) => typeof g === 'string') : [];
    const source = sourceLabels(gateways.some((g) => g !== 'mesh'));
    const rules = (Array.isArray(spec.http) ? spec.http : [])
      .filter(isObj)
      .map((r) => (Array.isArray(r.route) ? r.route.filter(isObj) : []))
      .filter((routes) => routes.length > 0);
    if (!rules.length) continue;
    const perRule = rps / rules.length;
    for (const routes of rules) {
      const weights = routes.map((r) =>
        typeof r.weight === 'number' ? Math.max(0, r.weight) : routes.length === 1 ? 100 : 0,
      );
      const total = weights.reduce((a, b) => a + b, 0);
      if (!(total > 0)) continue;
      routes.forEach((route, i) => {
        const share = (perRule * weights[i]!) / total;
        const dest = isObj(route.destination) ? route.destination : {};
        const host = str(dest.host);
        if (!(share > 0) || !host) return;
        const resolved = resolveHost(host, vsNs);
        const svc = resolved && services.get(`${resolved[1]}/${resolved[0]}`);
        if (!svc) return;
        for (const f of destinationFlows(mesh, svc, str(dest.subset), share, source)) add(f);
      });
    }
  }
  return [...out.values()];
}

function destinationFlows(
  mesh: MeshObjects,
  svc: KObject,
  subset: string | undefined,
  rps: number,
  source: Record<string, string>,
): Flow[] {
  const name = svc.metadata.name!;
  const ns = svc.metadata.namespace ?? 'default';
  const fqdn = `${name}.${ns}.svc.cluster.local`;
  const service = {
    destination_service: fqdn,
    destination_service_name: name,
    destination_service_namespace: ns,
  };
  const common = { request_protocol: 'http', ...source };
  const noUpstream = (flags: string): Flow => ({
    labels: {
      reporter: 'source',
      ...common,
      ...service,
      destination_workload: UNKNOWN,
      destination_workload_namespace: UNKNOWN,
      destination_app: UNKNOWN,
      destination_version: UNKNOWN,
      destination_canonical_service: UNKNOWN,
      destination_canonical_revision: UNKNOWN,
      response_flags: flags,
    },
    rps,
    errorRate: 1,
    latencyMs: 0,
    upstream: false,
  });

  const spec = isObj(svc.spec) ? svc.spec : {};
  const selector = isObj(spec.selector) ? (spec.selector as Record<string, string>) : {};
  let subsetLabels: Record<string, string> = {};
  if (subset !== undefined) {
    const found = subsetOf(mesh.destinationRules, fqdn, subset);
    if (!found) return [noUpstream('NC')];
    subsetLabels = found;
  }
  // A Service without a selector has no endpoints the sandbox can know of.
  if (!Object.keys(selector).length) return [noUpstream('UH')];
  const serving = mesh.pods
    .filter((p) => (p.metadata.namespace ?? 'default') === ns && isReadyPod(p))
    .filter((p) => matches(selector, labelsOf(p)) && matches(subsetLabels, labelsOf(p)))
    .sort(byKey);
  if (!serving.length) return [noUpstream('UH')];

  const flows = new Map<string, Flow>();
  for (const pod of serving) {
    const labels = labelsOf(pod);
    const workload = workloadOf(pod);
    const [canonicalService, canonicalRevision] = canonicalOf(labels, workload);
    const flow: Flow = {
      labels: {
        reporter: 'destination',
        ...common,
        ...service,
        destination_workload: workload,
        destination_workload_namespace: pod.metadata.namespace ?? ns,
        destination_app: labels.app ?? UNKNOWN,
        destination_version: labels.version ?? UNKNOWN,
        destination_canonical_service: canonicalService,
        destination_canonical_revision: canonicalRevision,
        response_flags: '-',
      },
      rps: rps / serving.length,
      errorRate: annotationNumber(pod, ERROR_RATE_ANNOTATION, 0, 0, 1),
      latencyMs: annotationNumber(pod, LATENCY_ANNOTATION, DEFAULT_LATENCY_MS, 0, 3_600_000),
      upstream: true,
    };
    // Pods of one workload with different annotations (a template edited in place) stay apart
    // only in behaviour; their series is the same, so the first pod's behaviour stands for all.
    const key = seriesKey(flow.labels);
    const prev = flows.get(key);
    if (prev) prev.rps += flow.rps;
    else flows.set(key, flow);
  }
  return [...flows.values()];
}

function subsetOf(rules: KObject[], fqdn: string, subset: string): Record<string, string> | undefined {
  for (const dr of [...rules].sort(byKey)) {
    const spec = isObj(dr.spec) ? dr.spec : {};
    const host = str(spec.host);
    const resolved = host && resolveHost(host, dr.metadata.namespace ?? 'default');
    if (!resolved || `${resolved[0]}.${resolved[1]}.svc.cluster.local` !== fqdn) continue;
    const subsets = Array.isArray(spec.subsets) ? spec.subsets.filter(isObj) : [];
    const s = subsets.find((x) => x.name === subset);
    if (s) return isObj(s.labels) ? (s.labels as Record<string, string>) : {};
  }
  return undefined;
}

/** A stable identity for a label set. */
function seriesKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

/** The i-th element (i >= 1) of the base-2 van der Corput sequence: evenly spread points in (0, 1). */
export function vanDerCorput(i: number): number {
  let n = i;
  let q = 0;
  let bk = 0.5;
  while (n > 0) {
    if (n % 2) q += bk;
    n = Math.floor(n / 2);
    bk /= 2;
  }
  return q;
}

interface Stream {
  labels: Record<string, string>;
  /** Requests owed so far, fractional; `sent` of them have happened. */
  owed: number;
  sent: number;
}

interface Series {
  labels: Record<string, string>;
  count: number;
  sum: number;
  /** Per bound of DURATION_BUCKETS_MS: requests at or under it. */
  buckets: number[];
}

/**
 * Istio's counters for the flows it is told about, integrated over time. Only ever adds: a
 * counter never goes back, whatever the flows do next (a weight change, a pod gone).
 */
export class MeshCounters {
  private readonly streams = new Map<string, Stream>();
  private readonly series = new Map<string, Series>();

  /** The given flows ran for `ms` milliseconds. */
  advance(flows: readonly Flow[], ms: number): void {
    if (!(ms > 0)) return;
    for (const f of flows) {
      const key = seriesKey(f.labels);
      let s = this.streams.get(key);
      if (!s) this.streams.set(key, (s = { labels: f.labels, owed: 0, sent: 0 }));
      s.owed += (f.rps * ms) / 1000;
      const due = Math.floor(s.owed + 1e-9);
      for (let i = s.sent; i < due; i++) this.request(f, i);
      s.sent = Math.max(s.sent, due);
    }
  }

  private request(f: Flow, i: number): void {
    // Bresenham: request i fails when it takes the error count past floor((i + 1) * rate).
    const failed = Math.floor((i + 1) * f.errorRate + 1e-9) > Math.floor(i * f.errorRate + 1e-9);
    const code = f.upstream ? (failed ? '500' : '200') : '503';
    const latency = f.upstream ? f.latencyMs * (0.5 + vanDerCorput(i + 1)) : 0;
    const labels = { ...f.labels, response_code: code };
    const key = seriesKey(labels);
    let s = this.series.get(key);
    if (!s)
      this.series.set(key, (s = { labels, count: 0, sum: 0, buckets: DURATION_BUCKETS_MS.map(() => 0) }));
    s.count++;
    s.sum += latency;
    DURATION_BUCKETS_MS.forEach((le, b) => {
      if (latency <= le) s.buckets[b]!++;
    });
  }

  /** The counters in Prometheus text exposition format (version 0.0.4), series in a stable order. */
  exposition(): string {
    const series = [...this.series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const lines: string[] = [
      '# HELP istio_requests_total Total requests (simulated by the vela-ts sandbox).',
      '# TYPE istio_requests_total counter',
    ];
    for (const [, s] of series) lines.push(`istio_requests_total${labelText(s.labels)} ${s.count}`);
    lines.push(
      '# HELP istio_request_duration_milliseconds Request duration (simulated by the vela-ts sandbox).',
      '# TYPE istio_request_duration_milliseconds histogram',
    );
    for (const [, s] of series) {
      DURATION_BUCKETS_MS.forEach((le, b) =>
        lines.push(
          `istio_request_duration_milliseconds_bucket${labelText({ ...s.labels, le: String(le) })} ${s.buckets[b]}`,
        ),
      );
      lines.push(
        `istio_request_duration_milliseconds_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`,
        `istio_request_duration_milliseconds_sum${labelText(s.labels)} ${formatNumber(s.sum)}`,
        `istio_request_duration_milliseconds_count${labelText(s.labels)} ${s.count}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

function labelText(labels: Record<string, string>): string {
  const body = Object.keys(labels)
    .sort((a, b) => (a === 'le' ? 1 : b === 'le' ? -1 : a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
  return `{${body}}`;
}

/** The Content-Type of the text exposition format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
