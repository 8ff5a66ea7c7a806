/**
 * The embedded Kubernetes-compatible API server (`--sandbox`, `vela-ts sandbox serve`, the tests).
 * startSandbox below wires the parts together; where each part lives:
 *
 * - HTTP serving: server.ts (routing, auth, audit log, --fail-rate, body decoding); protobuf.ts,
 *   proto-json.ts and proto-schema.ts (protobuf request bodies, read with the upstream .proto
 *   files); tls.ts (the CA and serving certificate); errors.ts (Status answers in apimachinery's
 *   shapes); rbac.ts (tokens per user, RequestInfo, the RBAC authorizer, its bootstrap policy, the
 *   access reviews, 403s).
 * - Watch: watch.ts (streams, resuming from a resourceVersion, bookmarks, 410 Expired).
 * - Request semantics: api.ts (get/list/create/replace/patch/delete, the write pipeline, dry run,
 *   subresources); patch.ts (JSON, merge and strategic-merge patches); ssa.ts (server-side apply
 *   and managedFields); selectors.ts (label and field selectors).
 * - Validation and admission: schema.ts (the upstream OpenAPI documents, compiled with ajv);
 *   validate.ts and names.ts (apimachinery's rules and messages); istio.ts (Istio's validating
 *   webhook); normalize.ts, omitempty.ts and defaults.ts (what decoding into the Go types and
 *   defaulting do to a stored object).
 * - The simulated controller: controller.ts (Deployments own ReplicaSets that own Pods, rolling
 *   updates, graceful Pod termination; Pods become ready); events.ts (the Events it records);
 *   events-v1.ts (the same Events as events.k8s.io/v1 shows them).
 * - The simulated mesh telemetry: telemetry.ts (Istio's standard metrics for the traffic the
 *   VirtualServices route, pure), metrics.ts (fed from the store, served on /metrics over plain
 *   HTTP); prometheus.ts (a real Prometheus scraping it, registered as Service
 *   istio-system/prometheus); proxy.ts (the apiserver's service proxy, which reaches it).
 * - Printers: table.ts (server-side Tables), printers.ts (per-kind columns), jsonpath.ts (CRD
 *   printer columns).
 * - Discovery and OpenAPI: registry.ts (the kinds served, the Istio CRDs), discovery.ts (/api,
 *   /apis, aggregated discovery, /version), openapi-crd.ts (the CRDs' /openapi/v3 documents),
 *   paths.ts (where the schemas folder is).
 * - Storage and persistence: store.ts (the sandbox's etcd: objects, resourceVersions, the watch
 *   history); persistence.ts (the --state snapshot, the journal that makes each write durable
 *   before it is answered, and owner-only file writes).
 */
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import yaml from 'js-yaml';
import { Api } from './api.js';
import { Controller } from './controller.js';
import { crdObjects } from './discovery.js';
import { DEFAULT_EVENT_TTL_MS } from './events.js';
import {
  AppendFile,
  journalPath,
  Journal,
  loadState,
  saveState,
  usingFile,
  writePrivate,
  type SandboxState,
} from './persistence.js';
import { MeshTelemetry, serveMetrics } from './metrics.js';
import { PROMETHEUS_SERVICE, PrometheusProcess } from './prometheus.js';
import { backendKey, type ServiceBackend } from './proxy.js';
import { Authenticator, Authorizer, bootstrapPolicy, userNameProblem, userToken } from './rbac.js';
import { Registry, resourceKey } from './registry.js';
import { SandboxServer } from './server.js';
import { Store } from './store.js';
import { DEFAULT_TRAFFIC_RPS } from './telemetry.js';
import { generateTls, type TlsMaterial } from './tls.js';
import { isObj, realClock, rfc3339, type Clock, type KObject } from './util.js';

export interface SandboxOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Load objects from and save them to this file; each write is journaled next to it before it is answered. */
  statePath?: string;
  /** Milliseconds from a Pod's creation until it is Ready (default 1000). */
  readyDelayMs?: number;
  /**
   * Milliseconds a deleted Pod stays Terminating (deletionTimestamp set, not counted as ready or
   * available) before it is removed (default 1000; at most its deletionGracePeriodSeconds).
   */
  terminationGraceMs?: number;
  /** How long an Event is kept after its last update, as the apiserver's --event-ttl (default 1 h). */
  eventTtlMs?: number;
  /**
   * Append one JSON line per request: time, method, path (with query), code, userAgent. Opened at
   * start; it, the state file, its journal and the kubeconfig are made 0600, and folders created
   * for them 0700, whatever the umask. A file that cannot be used is a SandboxFileError at start.
   */
  auditLogPath?: string;
  /** Share (0..1) of resource requests answered 500/503/429/409; open watches are cut at that rate per second. */
  failRate?: number;
  /** Write the kubeconfig here once the server is listening. */
  kubeconfigPath?: string;
  /** Test hooks: the clock the controller and watch timeouts run on, and the randomness of --fail-rate. */
  clock?: Clock;
  random?: () => number;
  /** Test hook: serve with this CA and certificate rather than make new ones (a saved state's come first). */
  tls?: TlsMaterial;
  /**
   * Serve the simulated mesh telemetry (Istio's standard metrics, telemetry.ts) over plain HTTP at
   * `http://127.0.0.1:<metricsPort>/metrics`; 0 picks a free port. Implied (0) by `prometheus`;
   * without either, no traffic is simulated.
   */
  metricsPort?: number;
  /** Simulated requests a second per VirtualService (default 20; 0: none). */
  trafficRps?: number;
  /**
   * Run a real Prometheus (`bin`) scraping the telemetry every second, registered as Service
   * `istio-system/prometheus` (port 9090, `http`) and reachable through the service proxy. It
   * starts with the sandbox (startSandbox resolves once it is ready), or with `lazy`, on the
   * first request the service proxy sends it. It stops with the sandbox.
   */
  prometheus?: { bin: string; lazy?: boolean };
  /**
   * Further identities besides the admin (who is `kubernetes-admin` in `system:masters`, allowed
   * everything): each gets a bearer token and, in the kubeconfig, a user and a context
   * `<name>@vela-ts-sandbox` (userContext). Their requests are authorized by RBAC over the stored
   * Roles, ClusterRoles and bindings, with the groups `system:authenticated` (and, for
   * `system:serviceaccount:NS:NAME`, `system:serviceaccounts` and `system:serviceaccounts:NS`).
   * A name that cannot be used is a SandboxUserError (rbac.ts userNameProblem).
   */
  users?: string[];
}

export interface Sandbox {
  /** `https://127.0.0.1:<port>` */
  url: string;
  port: number;
  caPem: string;
  token: string;
  /**
   * A kubeconfig (YAML) with the CA data, server, token and context namespace `default`; the
   * current context is the admin's, and each of `users` has its own context.
   */
  kubeconfig: string;
  /** Each of `users`: its bearer token and its context in `kubeconfig`. */
  users: Record<string, { token: string; context: string }>;
  /** `http://127.0.0.1:<port>/metrics` when the telemetry is served (metricsPort or prometheus). */
  metricsUrl?: string;
  /** The Prometheus of `prometheus`: its URL once started, its pid, and a way to start it now. */
  prometheus?: {
    readonly url: string | undefined;
    readonly pid: number | undefined;
    start(): Promise<string>;
  };
  /** Stops Prometheus, ends open watches, stops the controller, closes the servers and saves state. */
  close(): Promise<void>;
  /** Test hook: forget the watch history, so watching from any earlier resourceVersion gets 410 Expired. */
  expireWatchHistory(): void;
  /** Test hook: while held, no Pod becomes ready; released, the ones that are due become ready. */
  holdReadiness(held: boolean): void;
}

export { SandboxFileError } from './persistence.js';

export const SANDBOX_BANNER =
  'vela-ts sandbox: an emulated Kubernetes API for demos and tests. It is not a cluster: no containers run, pods are simulated.';

const CONTEXT = 'vela-ts-sandbox';
/** Journal records between compactions into the snapshot: bounds replay time and the journal's size. */
const JOURNAL_COMPACT_RECORDS = 1000;

/** The kubeconfig context (and user entry) of a `users` identity. */
export function userContext(user: string): string {
  return `${user}@${CONTEXT}`;
}

/** A name `users` cannot have (rbac.ts userNameProblem), or the same name twice. */
export class SandboxUserError extends Error {}

export function kubeconfigYaml(
  url: string,
  caPem: string,
  token: string,
  users: Record<string, string> = {},
): string {
  const others = Object.entries(users);
  return yaml.dump(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: CONTEXT,
          cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
        },
      ],
      contexts: [
        { name: CONTEXT, context: { cluster: CONTEXT, user: CONTEXT, namespace: 'default' } },
        ...others.map(([u]) => ({
          name: userContext(u),
          context: { cluster: CONTEXT, user: userContext(u), namespace: 'default' },
        })),
      ],
      'current-context': CONTEXT,
      users: [
        { name: CONTEXT, user: { token } },
        ...others.map(([u, t]) => ({ name: userContext(u), user: { token: t } })),
      ],
      preferences: {},
    },
    { lineWidth: -1 },
  );
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const userNames = opts.users ?? [];
  for (const [i, u] of userNames.entries()) {
    const problem =
      userNameProblem(u) ?? (userNames.indexOf(u) < i ? `user "${u}" is given twice` : undefined);
    if (problem) throw new SandboxUserError(problem);
  }
  const clock = opts.clock ?? realClock;
  const registry = new Registry();
  const statePath = opts.statePath;
  const prior = statePath ? usingFile('state', statePath, () => loadState(statePath)) : undefined;
  const tls: TlsMaterial = prior?.tls ?? opts.tls ?? generateTls(new Date(clock.now()));
  const token = prior?.token ?? randomBytes(24).toString('base64url');
  const store = new Store(prior?.resourceVersion ?? 1);
  for (const { resource, object } of prior?.objects ?? []) store.restore(resource, object);
  const crdType = registry.byKind('apiextensions.k8s.io', 'CustomResourceDefinition')!;
  for (const crd of crdObjects(registry, rfc3339(clock.now())))
    store.restore(resourceKey(crdType), crd as KObject);

  const allocations = { ...(prior?.allocations ?? { clusterIP: 10, nodePort: 30000 }) };
  const api = new Api(store, registry, clock, {
    clusterIP: () => {
      const n = allocations.clusterIP++;
      return `10.96.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
    },
    nodePort: () => 30000 + (allocations.nodePort++ % 2768),
  });

  // The apiserver reconciles its bootstrap roles and bindings at every start: the missing ones come back.
  for (const { kind, object } of bootstrapPolicy()) {
    const rt = registry.byKind('rbac.authorization.k8s.io', kind)!;
    if (!store.get(rt, undefined, object.metadata.name!))
      api.systemWrite(rt, undefined, object, 'kube-apiserver');
  }
  if (!prior) {
    const ns = registry.byKind('', 'Namespace')!;
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      // The sandbox is a cluster with Istio installed and `default` labelled for injection, as
      // Istio's getting-started guide leaves it; a namespace created later has no label unless given one.
      const labels = name === 'default' ? { labels: { 'istio-injection': 'enabled' } } : {};
      api.systemWrite(
        ns,
        undefined,
        // System writes skip the initial status a client's create gets; a seeded namespace is Active too.
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...labels }, status: { phase: 'Active' } },
        'kube-apiserver',
      );
    }
  }

  const snapshot = (): SandboxState => ({
    kind: 'VelaTsSandboxState',
    version: 1,
    resourceVersion: store.resourceVersion,
    token,
    tls,
    allocations,
    objects: store.dump().filter((o) => o.resource !== resourceKey(crdType)),
  });
  // Durable before answered: each write is journaled (and synced) before the store applies it, and
  // the journal is folded into the snapshot at start, every JOURNAL_COMPACT_RECORDS writes, and on close.
  let journal: Journal | undefined;
  const compact = () => {
    if (!statePath) return;
    saveState(statePath, snapshot());
    journal?.truncate();
  };
  if (statePath) {
    usingFile('state', statePath, compact);
    const j = (journal = usingFile('state', statePath, () => new Journal(journalPath(statePath))));
    store.onCommit((ev) => {
      j.append(
        ev.type === 'DELETED'
          ? {
              rv: ev.rv,
              op: 'delete',
              resource: ev.resource,
              namespace: ev.object.metadata.namespace,
              name: ev.object.metadata.name!,
              allocations,
            }
          : { rv: ev.rv, op: 'put', resource: ev.resource, object: ev.object, allocations },
      );
    });
    // Compact between writes, never inside one: the store applies a write after its commit returns.
    store.subscribe(() => {
      if (j.count >= JOURNAL_COMPACT_RECORDS) compact();
    });
  }

  const controller = new Controller(api, registry, clock, {
    readyDelayMs: opts.readyDelayMs ?? 1000,
    terminationGraceMs: opts.terminationGraceMs ?? 1000,
    eventTtlMs: opts.eventTtlMs ?? DEFAULT_EVENT_TTL_MS,
  });

  const serveTelemetry = opts.metricsPort !== undefined || opts.prometheus !== undefined;
  const telemetry = serveTelemetry
    ? new MeshTelemetry(store, clock, opts.trafficRps ?? DEFAULT_TRAFFIC_RPS)
    : undefined;
  const metrics = telemetry ? await serveMetrics(telemetry, opts.metricsPort ?? 0) : undefined;
  const backends = new Map<string, ServiceBackend>();
  let prometheus: PrometheusProcess | undefined;
  if (metrics && opts.prometheus) {
    const prom = (prometheus = new PrometheusProcess({
      bin: opts.prometheus.bin,
      scrapeTarget: `127.0.0.1:${metrics.port}`,
    }));
    const { namespace, name, port: svcPort, portName } = PROMETHEUS_SERVICE;
    registerService(api, registry, namespace, name, svcPort, portName);
    backends.set(backendKey(namespace, name, portName), { url: () => prom.start() });
  }

  let port = 0;
  const auditPath = opts.auditLogPath;
  const auditLog = auditPath ? usingFile('audit-log', auditPath, () => new AppendFile(auditPath)) : undefined;
  const srv = new SandboxServer({
    api,
    registry,
    authn: new Authenticator(token, userNames),
    authz: new Authorizer(store),
    clock,
    auditLog,
    failRate: opts.failRate ?? 0,
    random: opts.random ?? Math.random,
    address: () => `127.0.0.1:${port}`,
    backends,
  });
  const server = https.createServer({ key: tls.key, cert: tls.cert }, srv.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  controller.start();
  telemetry?.start();

  const url = `https://127.0.0.1:${port}`;
  const users = Object.fromEntries(
    userNames.map((u) => [u, { token: userToken(token, u), context: userContext(u) }]),
  );
  const kubeconfig = kubeconfigYaml(
    url,
    tls.caCert,
    token,
    Object.fromEntries(userNames.map((u) => [u, users[u]!.token])),
  );
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await prometheus?.stop();
      telemetry?.stop();
      await metrics?.close();
      srv.closeWatches();
      controller.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      compact();
      journal?.close(true);
      auditLog?.close();
    })());
  const kubeconfigPath = opts.kubeconfigPath;
  try {
    if (kubeconfigPath)
      usingFile('kubeconfig', kubeconfigPath, () => writePrivate(kubeconfigPath, kubeconfig));
    if (prometheus && !opts.prometheus?.lazy) await prometheus.start();
  } catch (e) {
    await close();
    throw e;
  }

  return {
    url,
    port,
    caPem: tls.caCert,
    token,
    kubeconfig,
    users,
    expireWatchHistory: () => store.compact(),
    holdReadiness: (held) => controller.holdReadiness(held),
    ...(metrics ? { metricsUrl: metrics.url } : {}),
    ...(prometheus ? { prometheus: prometheusHandle(prometheus) } : {}),
    close,
  };
}

function prometheusHandle(p: PrometheusProcess): NonNullable<Sandbox['prometheus']> {
  return {
    get url() {
      return p.url;
    },
    get pid() {
      return p.pid;
    },
    start: () => p.start(),
  };
}

/**
 * The Service a backend is reached through, as Istio's addon names Prometheus; no selector, as
 * its endpoint is not a simulated pod. Written only when missing or different (a saved state keeps it).
 */
function registerService(
  api: Api,
  registry: Registry,
  namespace: string,
  name: string,
  port: number,
  portName: string,
): void {
  const nsType = registry.byKind('', 'Namespace')!;
  if (!api.store.get(nsType, undefined, namespace))
    api.systemWrite(
      nsType,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace }, status: { phase: 'Active' } },
      'kube-apiserver',
    );
  const svcType = registry.byKind('', 'Service')!;
  const old = api.store.get(svcType, namespace, name);
  const ports = [{ name: portName, port, protocol: 'TCP', targetPort: port }];
  const { selector, ...spec } = isObj(old?.spec) ? old.spec : {};
  if (old && JSON.stringify(spec.ports) === JSON.stringify(ports) && selector === undefined) return;
  api.systemWrite(
    svcType,
    old,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        ...(old?.metadata ?? {}),
        name,
        namespace,
        labels: { app: name, 'app.kubernetes.io/managed-by': 'vela-ts-sandbox' },
      },
      spec: { ...spec, type: 'ClusterIP', ports },
    },
    'vela-ts-sandbox',
  );
}
