/**
 * The API server's service proxy, `/api/v1/namespaces/{ns}/services/{id}/proxy/{path}`, with `{id}`
 * as `name`, `name:port`, `scheme:name:port` (apimachinery SplitSchemeNamePort; port by number or
 * name). Where it goes follows the Service registry's ResourceLocation (pkg/registry/core/service/
 * storage): a port number is looked up in the Service (`services "x" not found`, `no service port
 * N found for service "x"`), then the endpoints of the port's name (`no endpoints available for
 * service ...`, 503). The path and query go to the backend; status, headers and body come back.
 *
 * What the sandbox can reach: only the backends registered with it (Prometheus, prometheus.ts).
 * A Service whose ready pods are simulated has endpoints but nothing listening on them: 503
 * `error trying to reach service`, as a real proxy answers when the dial fails.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { badRequest, StatusError } from './errors.js';
import type { Store } from './store.js';
import { isObj, type KObject, type Obj } from './util.js';

/** Something that serves one port of a Service: its base URL (`http://127.0.0.1:N`), started if need be. */
export interface ServiceBackend {
  url(): Promise<string>;
}

/** Registered backends by `namespace/name/portName`. */
export type ServiceBackends = ReadonlyMap<string, ServiceBackend>;

export function backendKey(namespace: string, name: string, portName: string): string {
  return `${namespace}/${name}/${portName}`;
}

export interface ProxyLocation {
  scheme: 'http' | 'https';
  backend: ServiceBackend;
}

function serviceUnavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message, {});
}

function notFound(plural: string, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${plural} "${name}" not found`, { name, kind: plural });
}

/** apimachinery utilnet.SplitSchemeNamePort: `name`, `name:port`, `scheme:name:port`. */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (!name || !['', 'http', 'https'].includes(scheme)) return undefined;
  return { scheme, name, port };
}

function isReady(p: KObject): boolean {
  const conds = isObj(p.status) && Array.isArray(p.status.conditions) ? (p.status.conditions as Obj[]) : [];
  return !p.metadata.deletionTimestamp && conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Where `services/{id}/proxy` in `namespace` goes, or the StatusError the apiserver answers. */
export function locateService(
  store: Store,
  backends: ServiceBackends,
  namespace: string,
  id: string,
): ProxyLocation {
  const split = splitSchemeNamePort(id);
  if (!split) throw badRequest(`invalid service request "${id}"`);
  const { scheme, name } = split;
  let portName = split.port;
  const svc = store.get('services', namespace, name);
  if (/^\d+$/.test(portName)) {
    if (!svc) throw notFound('services', name);
    const ports = (isObj(svc.spec) && Array.isArray(svc.spec.ports) ? svc.spec.ports : []).filter(isObj);
    const port = ports.find((p) => p.port === Number(portName));
    if (!port) throw serviceUnavailable(`no service port ${Number(portName)} found for service "${name}"`);
    portName = typeof port.name === 'string' ? port.name : '';
  }
  // The apiserver reads the Endpoints object next; the endpoints controller keeps one per Service.
  if (!svc) throw notFound('endpoints', name);
  const location = (backend: ServiceBackend): ProxyLocation => ({
    scheme: scheme === 'https' ? 'https' : 'http',
    backend,
  });
  const spec = isObj(svc.spec) ? svc.spec : {};
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isObj);
  const backendPorts = ports
    .map((p) => (typeof p.name === 'string' ? p.name : ''))
    .filter((n) => backends.has(backendKey(namespace, name, n)));
  if (backendPorts.length) {
    const backend = backends.get(backendKey(namespace, name, portName));
    if (backend) return location(backend);
    throw serviceUnavailable(`no endpoints available for service "${id}"`);
  }
  const selector = isObj(spec.selector) ? (spec.selector as Record<string, string>) : {};
  const pods = Object.keys(selector).length
    ? store
        .list('pods', namespace)
        .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v))
    : [];
  // No pods at all: an Endpoints object without subsets. Pods, none ready (or none on this port's
  // name): subsets with no ready address for it. The apiserver words the two apart (name vs id).
  if (!pods.length) throw serviceUnavailable(`no endpoints available for service "${name}"`);
  const ready = pods.filter(isReady);
  const port = ports.find((p) => (typeof p.name === 'string' ? p.name : '') === portName);
  if (!ready.length || !port) throw serviceUnavailable(`no endpoints available for service "${id}"`);
  const status = ready[0]!.status;
  const ip = isObj(status) && typeof status.podIP === 'string' ? status.podIP : '';
  const target = typeof port.targetPort === 'number' ? port.targetPort : port.port;
  throw serviceUnavailable(
    `error trying to reach service: sandbox: pods are simulated, nothing listens on ${ip}:${String(target)}`,
  );
}

/** Request headers not passed on: hop-by-hop ones, and the caller's credentials (meant for the apiserver). */
const DROP_REQUEST = new Set([
  'authorization',
  'connection',
  'host',
  'keep-alive',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'upgrade']);

function pick(headers: IncomingHttpHeaders, drop: Set<string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !drop.has(k)) out[k] = v;
  return out;
}

/**
 * Sends the request on to the backend (`path` with its query, the body read already) and streams
 * the answer back. A backend that cannot be reached is a 503 StatusError, thrown before anything is
 * written.
 */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  location: ProxyLocation,
  pathAndQuery: string,
  body: Buffer,
): Promise<void> {
  let base: URL;
  try {
    base = new URL(await location.backend.url());
  } catch (e) {
    throw serviceUnavailable(`error trying to reach service: ${(e as Error).message}`);
  }
  const target = new URL(pathAndQuery, `${location.scheme}://${base.host}`);
  const headers = pick(req.headers, DROP_REQUEST);
  if (body.length) headers['content-length'] = String(body.length);
  await new Promise<void>((resolve, reject) => {
    const client = location.scheme === 'https' ? https : http;
    const upstream = client.request(
      target,
      // The apiserver's service proxy does not verify backends' certificates either.
      { method: req.method, headers, rejectUnauthorized: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, pick(answer.headers, DROP_RESPONSE));
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    upstream.on('error', (e) => {
      if (res.headersSent) {
        res.destroy();
        resolve();
      } else reject(serviceUnavailable(`error trying to reach service: ${e.message}`));
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body.length ? body : undefined);
  });
}
