/**
 * Asking Prometheus for a gate's value (HTTP API `GET /api/v1/query`), and saying what went
 * wrong in the user's words. An in-cluster address (`http://<service>.<namespace>.svc[.cluster.local]:<port>`,
 * as KubeVela's check-metrics defaults to) is reached through the API server's service proxy with
 * the kubeconfig's credentials, so a workstation needs no port-forward; any other URL directly.
 * Credentials in a URL are sent as basic auth and never printed or recorded.
 */
import type { ClusterClient, ServicePort } from '../cluster/types.js';
import { ClusterError } from '../errors.js';
import { shownEndpoint, type Reading } from '../workflow/metrics.js';

/** Reads one instant value. Never throws: every failure is a Reading of kind `error`. */
export type MetricsReader = (endpoint: string, query: string, signal?: AbortSignal) => Promise<Reading>;

const IN_CLUSTER =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?$/;

/** The Service an in-cluster URL names, or undefined for a URL reached directly. */
export function inClusterService(endpoint: string): (ServicePort & { basePath: string }) | undefined {
  const url = new URL(endpoint);
  const m = IN_CLUSTER.exec(url.hostname);
  if (!m) return undefined;
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  return {
    name: m[1] as string,
    namespace: m[3] as string,
    port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80,
    scheme,
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

export function prometheusReader(cluster: ClusterClient, opts: { timeoutMs: number }): MetricsReader {
  return async (endpoint, query, signal) => {
    const path = `/api/v1/query?query=${encodeURIComponent(query)}`;
    const service = inClusterService(endpoint);
    const where = shownEndpoint(endpoint);
    if (service) {
      try {
        const res = await cluster.proxyGet(service, `${service.basePath}${path}`, {
          timeoutMs: opts.timeoutMs,
          ...(signal ? { signal } : {}),
        });
        return readAnswer(res.status, res.body, `${where} (through the API server's service proxy)`, service);
      } catch (err) {
        if (err instanceof ClusterError) return { kind: 'error', message: err.message };
        throw err;
      }
    }
    return direct(endpoint, path, where, opts.timeoutMs, signal);
  };
}

async function direct(
  endpoint: string,
  path: string,
  where: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Reading> {
  const url = new URL(endpoint);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const base = url.toString().replace(/\/+$/, '');
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
  try {
    const res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.any(signals) });
    return readAnswer(res.status, await res.text(), where, undefined);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${Math.round(timeoutMs / 1000)}s`
        : cause?.code === 'ECONNREFUSED'
          ? 'connection refused'
          : cause?.code === 'ENOTFOUND'
            ? 'no such host'
            : (cause?.code ?? (err as Error).message);
    return { kind: 'error', message: `cannot reach Prometheus at ${where} (${why})` };
  }
}

interface PromAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
  kind?: string;
  message?: string;
  reason?: string;
}

/** Prometheus' answer (or the API server's, when the proxy could not relay one) as a Reading. */
export function readAnswer(
  status: number,
  body: string,
  where: string,
  service: ServicePort | undefined,
): Reading {
  let doc: PromAnswer | undefined;
  try {
    doc = JSON.parse(body) as PromAnswer;
  } catch {
    doc = undefined;
  }
  if (doc?.kind === 'Status') return proxyRefused(status, doc, service);
  if (!doc || typeof doc !== 'object' || doc.status === undefined) {
    if (status === 503) return { kind: 'error', message: `Prometheus at ${where} is not ready (HTTP 503)` };
    return {
      kind: 'error',
      message: `${where} answered HTTP ${status} with something that is not Prometheus' query API; is this Prometheus' address?`,
    };
  }
  if (doc.status !== 'success') {
    const what = doc.error ?? `HTTP ${status}`;
    // bad_data: the query itself is wrong (PromQL syntax, a bad range); it will not get better.
    const permanent = doc.errorType === 'bad_data' || status === 400 || status === 422;
    return {
      kind: 'error',
      message: permanent ? what : `Prometheus at ${where} could not run the query: ${what}`,
      ...(permanent ? { permanent } : {}),
    };
  }
  const type = doc.data?.resultType;
  const result = doc.data?.result;
  if (type === 'scalar') return fromSample(result);
  if (type === 'vector' && Array.isArray(result)) {
    if (result.length === 0) return { kind: 'no-data', why: 'the query returned no series' };
    if (result.length > 1)
      return {
        kind: 'error',
        message: `the query returned ${result.length} series; a gate needs one value: aggregate them (sum, max, …)`,
      };
    return fromSample((result[0] as { value?: unknown }).value);
  }
  return {
    kind: 'error',
    message: `the query returns a ${type ?? 'value of unknown type'}; a gate needs an instant vector of one series or a scalar`,
    permanent: true,
  };
}

function fromSample(sample: unknown): Reading {
  const text: unknown = Array.isArray(sample) ? sample[1] : undefined;
  // Prometheus writes infinities as +Inf and -Inf.
  const value =
    text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : typeof text === 'string' ? Number(text) : NaN;
  if (Number.isNaN(value)) return { kind: 'no-data', why: 'the value is NaN (no requests in the window)' };
  return { kind: 'value', value };
}

function proxyRefused(status: number, doc: PromAnswer, service: ServicePort | undefined): Reading {
  const svc = service ? `service ${service.name} in namespace ${service.namespace}` : 'the service';
  const said = doc.message ?? doc.reason ?? `HTTP ${status}`;
  if (status === 401 || status === 403)
    return {
      kind: 'error',
      message: `the API server does not let you reach ${svc} through its service proxy (${said}); you need "get" on services/proxy there, or give the gate a metricEndpoint (or --prometheus) you can reach directly`,
    };
  if (status === 404)
    return {
      kind: 'error',
      message: `the cluster has no ${svc} (${said}); is Prometheus installed there? Point the gate at it with metricEndpoint or --prometheus`,
    };
  if (status === 503) return { kind: 'error', message: `${svc} has no ready Prometheus behind it (${said})` };
  return { kind: 'error', message: `the API server could not relay the query to ${svc} (${said})` };
}
