import type {
  ApplyOptions,
  ClusterClient,
  KindRef,
  KubeObject,
  ListResult,
  ObjectRef,
  ProxyResponse,
  ServicePort,
  ServerVersion,
  WaitOptions,
  WriteOptions,
} from '../../src/cluster/types.js';
import { ClusterError } from '../../src/errors.js';

export interface RecordedCall {
  verb: 'get' | 'list' | 'apply' | 'create' | 'replace' | 'delete' | 'waitFor' | 'proxy';
  key: string;
  dryRun?: boolean;
}

const keyOf = (r: { kind: string; namespace?: string; name?: string }) =>
  `${r.kind}/${r.namespace ?? ''}/${r.name ?? ''}`;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function merge(live: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...live };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
        ? merge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : clone(v);
  }
  return out;
}

/**
 * An in-memory ClusterClient that records every call (as Argo Rollouts' tests assert on the fake
 * client's actions). Deployments are "ready" as soon as they are written unless `stuck` names them.
 */
export class MemoryCluster implements ClusterClient {
  readonly defaultNamespace = 'default';
  readonly server = 'memory://test';
  readonly isSandbox = false;
  readonly calls: RecordedCall[] = [];
  readonly objects = new Map<string, KubeObject>();
  private rv = 1;
  /** What the service proxy answers (a fake Prometheus); unset, every service is missing. */
  proxy?: (service: ServicePort, pathAndQuery: string) => ProxyResponse | Promise<ProxyResponse>;

  writes(): RecordedCall[] {
    return this.calls.filter((c) => ['apply', 'create', 'replace', 'delete'].includes(c.verb) && !c.dryRun);
  }

  put(obj: KubeObject): KubeObject {
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    if (stored.kind === 'Deployment') {
      const replicas = (stored.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      stored.status = {
        observedGeneration: 1,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      };
      stored.metadata.generation = 1;
    }
    this.objects.set(
      keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }),
      stored,
    );
    return clone(stored);
  }

  serverVersion(): Promise<ServerVersion> {
    return Promise.resolve({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
  }

  get(ref: ObjectRef): Promise<KubeObject | undefined> {
    this.calls.push({ verb: 'get', key: keyOf(ref) });
    const o = this.objects.get(keyOf(ref));
    return Promise.resolve(o ? clone(o) : undefined);
  }

  list(kind: KindRef, namespace: string, opts: { labelSelector?: string } = {}): Promise<ListResult> {
    this.calls.push({ verb: 'list', key: keyOf({ kind: kind.kind, namespace }) });
    const [k, v] = (opts.labelSelector ?? '').split('=');
    const items = [...this.objects.values()].filter(
      (o) =>
        o.kind === kind.kind && o.metadata.namespace === namespace && (!k || o.metadata.labels?.[k] === v),
    );
    return Promise.resolve({ items: clone(items), resourceVersion: String(this.rv) });
  }

  apply(obj: KubeObject, opts: ApplyOptions = {}): Promise<KubeObject> {
    this.calls.push({
      verb: 'apply',
      key: keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }),
      ...(opts.dryRun ? { dryRun: true } : {}),
    });
    const live = this.objects.get(
      keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }),
    );
    const next = live ? (merge(live, obj) as KubeObject) : obj;
    return Promise.resolve(opts.dryRun ? clone(next) : this.put(next));
  }

  create(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const key = keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    this.calls.push({ verb: 'create', key, ...(opts.dryRun ? { dryRun: true } : {}) });
    if (this.objects.has(key))
      return Promise.reject(new ClusterError(`${key} already exists`, 409, 'AlreadyExists'));
    return Promise.resolve(opts.dryRun ? clone(obj) : this.put(obj));
  }

  replace(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const key = keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    this.calls.push({ verb: 'replace', key, ...(opts.dryRun ? { dryRun: true } : {}) });
    const live = this.objects.get(key);
    if (!live) return Promise.reject(new ClusterError(`${key} not found`, 404, 'NotFound'));
    if (obj.metadata.resourceVersion !== live.metadata.resourceVersion)
      return Promise.reject(new ClusterError(`${key} changed`, 409, 'Conflict'));
    return Promise.resolve(opts.dryRun ? clone(obj) : this.put(obj));
  }

  async proxyGet(service: ServicePort, pathAndQuery: string): Promise<ProxyResponse> {
    this.calls.push({
      verb: 'proxy',
      key: `${service.namespace}/${service.name}:${service.port}${pathAndQuery}`,
    });
    if (!this.proxy)
      return {
        status: 404,
        body: JSON.stringify({
          kind: 'Status',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
          message: `services "${service.name}" not found`,
        }),
      };
    return this.proxy(service, pathAndQuery);
  }

  delete(ref: ObjectRef, opts: WriteOptions = {}): Promise<boolean> {
    this.calls.push({ verb: 'delete', key: keyOf(ref), ...(opts.dryRun ? { dryRun: true } : {}) });
    if (opts.dryRun) return Promise.resolve(this.objects.has(keyOf(ref)));
    return Promise.resolve(this.objects.delete(keyOf(ref)));
  }

  async waitFor(
    kind: KindRef,
    namespace: string,
    done: (o: ReadonlyMap<string, KubeObject>) => boolean,
    opts: WaitOptions,
  ): Promise<ReadonlyMap<string, KubeObject>> {
    this.calls.push({ verb: 'waitFor', key: keyOf({ kind: kind.kind, namespace }) });
    const { items } = await this.list(
      kind,
      namespace,
      opts.labelSelector ? { labelSelector: opts.labelSelector } : {},
    );
    const snapshot = new Map(items.map((o) => [o.metadata.name, o]));
    if (!done(snapshot)) throw new ClusterError('not ready', 0, 'Timeout');
    return snapshot;
  }
}
