import {
  API,
  KIND_ORDER,
  LABEL_APP,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  objectKey,
  type KubeObject,
} from '../compile/index.js';
import type { ClusterClient, KindRef } from '../cluster/types.js';
import { ClusterError } from '../errors.js';
import { createHash } from 'node:crypto';
import { stableStringify } from '../compile/stable.js';
import { sameQuantity } from '../quantity.js';

/** The kinds vela-ts renders, and so prunes. */
export const MANAGED_KINDS: KindRef[] = KIND_ORDER.map((kind) => ({ apiVersion: API[kind], kind }));

/**
 * True when every field we set already has that value on the live object. The server adds
 * defaults and status, so "contains" is the right question, not "equals"; a list must have the
 * same length (a removed route or subset is a change). `path` is where `wanted` sits in the object.
 */
export function contains(live: unknown, wanted: unknown, path = ''): boolean {
  // The server decodes into Go structs and encodes them back: an omitempty field holding its zero
  // value (an env var's `value: ""`, `initialDelaySeconds: 0`, an empty `args`) is not returned.
  if (live === undefined && isGoZero(wanted)) return true;
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(live) &&
      live.length === wanted.length &&
      wanted.every((w, i) => contains(live[i], w, `${path}[]`))
    );
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(wanted).every(([k, v]) =>
      contains((live as Record<string, unknown>)[k], v, path ? `${path}.${k}` : k),
    );
  }
  if (live === wanted) return true;
  // Resource quantities come back in canonical form (`0.5` as `500m`, `1024Mi` as `1Gi`): by value.
  if (QUANTITY_PATH.test(path)) return sameQuantity(live, wanted);
  // Kubernetes returns intOrString ports in its own spelling; compare as text.
  const scalar = (v: unknown): v is string | number | boolean =>
    ['string', 'number', 'boolean'].includes(typeof v);
  return scalar(live) && scalar(wanted) && String(live) === String(wanted);
}

const QUANTITY_PATH = /(^|\.)resources\.(requests|limits)\.[^.]+$/;

function isGoZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}

/**
 * The paths of the fields in `wanted` that the live object does not hold (a list that differs is
 * named as a whole). Empty when only fields we stopped setting changed.
 */
export function differences(live: unknown, wanted: unknown, prefix = ''): string[] {
  if (contains(live, wanted, prefix)) return [];
  if (wanted === null || typeof wanted !== 'object' || Array.isArray(wanted))
    return [prefix || '(whole object)'];
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return [prefix || '(whole object)'];
  return Object.entries(wanted).flatMap(([k, v]) =>
    differences((live as Record<string, unknown>)[k], v, prefix ? `${prefix}.${k}` : k),
  );
}

/**
 * Runs an idempotent write again when the server answers 409 Conflict (a busy or flaky API server
 * says so; the object itself is re-decided by the write, which states the whole intent).
 */
export async function retryOnConflict<T>(write: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (
        !(err instanceof ClusterError && err.status === 409 && err.reason !== 'AlreadyExists') ||
        i >= attempts
      )
        throw err;
    }
  }
}

export interface LiveSet {
  byKey: Map<string, KubeObject>;
}

/** Everything of the managed kinds that carries the app's label, one list per kind. */
export async function readLive(cluster: ClusterClient, namespace: string, app: string): Promise<LiveSet> {
  const byKey = new Map<string, KubeObject>();
  for (const kind of MANAGED_KINDS) {
    const list = await cluster.list(kind, namespace, { labelSelector: `${LABEL_APP}=${app}` });
    for (const item of list.items)
      byKey.set(objectKey({ ...item, kind: kind.kind }), {
        ...item,
        apiVersion: kind.apiVersion,
        kind: kind.kind,
      });
  }
  return { byKey };
}

/** Records, on each object vela-ts writes, a hash of what it wrote: a field we stop setting is a change too. */
export const ANNOTATION_APPLIED = 'vela-ts.dev/applied-hash';

function appliedHash(obj: KubeObject): string {
  return createHash('sha256').update(stableStringify(obj)).digest('hex').slice(0, 16);
}

/** Ours means written by vela-ts for this app; another app's object is as foreign as a stranger's. */
function ownedBy(o: KubeObject, app: string): boolean {
  return o.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY && o.metadata.labels[LABEL_APP] === app;
}

function foreign(o: KubeObject, namespace: string): string {
  const owner =
    o.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY ? o.metadata.labels[LABEL_APP] : undefined;
  const whose = owner ? `belongs to vela-ts app "${owner}"` : 'is not managed by vela-ts';
  return `${o.kind} ${namespace}/${o.metadata.name} already exists and ${whose}; rename the component, remove the object, or pass --force to take it over`;
}

export interface Change {
  /** `Kind/name` */
  object: string;
  action: 'create' | 'update';
  /** Fields that differ from the live object (updates only), e.g. `spec.replicas`. */
  fields: string[];
}

export interface ApplyResult {
  written: string[];
  changes: Change[];
  /** Objects of this app that it no longer renders: removed by `prune`, once the rest is ready. */
  stale: KubeObject[];
}

/**
 * Makes the cluster hold `desired`: server-side apply of what differs, in apply order (subsets
 * before routes). Reads only when nothing differs. Objects vela-ts did not write for this app are
 * never changed unless `force`.
 */
/**
 * Refuses, before anything is written, when an object the app would render already exists and is
 * not this app's (another app's, or not vela-ts's at all), unless `force`.
 */
export async function checkOwnership(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  desired: readonly KubeObject[],
  force: boolean,
  moreDeployments: readonly string[] = [],
): Promise<void> {
  if (force) return;
  const live = await readLive(cluster, namespace, app);
  const later = moreDeployments.map((name): KubeObject => ({
    apiVersion: API.Deployment,
    kind: 'Deployment',
    metadata: { name, namespace },
  }));
  for (const wanted of [...desired, ...later]) {
    if (live.byKey.has(objectKey(wanted))) continue;
    const current = await cluster.get({
      apiVersion: wanted.apiVersion,
      kind: wanted.kind,
      namespace,
      name: wanted.metadata.name,
    });
    if (current && !ownedBy(current, app)) throw new ClusterError(foreign(current, namespace));
  }
}

export async function applyObjects(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  desired: readonly KubeObject[],
  opts: { force: boolean; dryRun?: boolean; checkOnly?: boolean },
): Promise<ApplyResult> {
  const live = await readLive(cluster, namespace, app);
  const written: string[] = [];
  const changes: Change[] = [];
  for (const wanted of desired) {
    const key = objectKey(wanted);
    let current = live.byKey.get(key);
    if (!current) {
      // Not labelled for this app: it may still exist, owned by someone else.
      current = await cluster.get({
        apiVersion: wanted.apiVersion,
        kind: wanted.kind,
        namespace,
        name: wanted.metadata.name,
      });
    }
    if (current && !ownedBy(current, app) && !opts.force) throw new ClusterError(foreign(current, namespace));
    const hash = appliedHash(wanted);
    const obj: KubeObject = {
      ...wanted,
      metadata: {
        ...wanted.metadata,
        annotations: { ...wanted.metadata.annotations, [ANNOTATION_APPLIED]: hash },
      },
    };
    if (current && current.metadata.annotations?.[ANNOTATION_APPLIED] === hash && contains(current, wanted))
      continue;
    if (!opts.checkOnly) {
      await retryOnConflict(() =>
        cluster.apply(obj, {
          force: opts.force || Boolean(current),
          ...(opts.dryRun ? { dryRun: true } : {}),
        }),
      );
    }
    written.push(`${obj.kind}/${obj.metadata.name}`);
    changes.push(
      current
        ? {
            object: `${obj.kind}/${obj.metadata.name}`,
            action: 'update',
            fields: differences(current, wanted),
          }
        : { object: `${obj.kind}/${obj.metadata.name}`, action: 'create', fields: [] },
    );
  }
  const keep = new Set(desired.map(objectKey));
  const stale = [...live.byKey.values()].filter((o) => ownedBy(o, app) && !keep.has(objectKey(o)));
  return { written, changes, stale };
}

/** Removes what the app no longer renders, routes before the subsets and workloads they point at. */
export async function prune(
  cluster: ClusterClient,
  namespace: string,
  stale: readonly KubeObject[],
  opts: { dryRun?: boolean } = {},
): Promise<string[]> {
  const ordered = [...stale].sort(
    (a, b) => KIND_ORDER.indexOf(b.kind as never) - KIND_ORDER.indexOf(a.kind as never),
  );
  const deleted: string[] = [];
  for (const o of ordered) {
    await retryOnConflict(() =>
      cluster.delete(
        { apiVersion: o.apiVersion, kind: o.kind, namespace, name: o.metadata.name },
        opts.dryRun ? { dryRun: true } : {},
      ),
    );
    deleted.push(`${o.kind}/${o.metadata.name}`);
  }
  return deleted;
}

interface DeploymentLike {
  metadata: { name: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

/** `kubectl rollout status`'s rule: the new generation is observed, and every replica is updated and available. */
export function deploymentReady(d: DeploymentLike): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return false;
  return (
    (s.updatedReplicas ?? 0) >= want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) >= want &&
    (s.readyReplicas ?? 0) >= want
  );
}

/** Waits, by watching, until the named Deployments are all ready; says which are not when it gives up. */
export async function waitReady(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  names: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (names.length === 0) return;
  const done = (objs: ReadonlyMap<string, KubeObject>) =>
    names.every((n) => {
      const d = objs.get(n);
      return d !== undefined && deploymentReady(d);
    });
  try {
    await cluster.waitFor({ apiVersion: API.Deployment, kind: 'Deployment' }, namespace, done, {
      labelSelector: `${LABEL_APP}=${app}`,
      timeoutMs,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (err instanceof ClusterError && err.reason === 'Timeout') {
      throw new ClusterError(await notReadyReport(cluster, namespace, app, names, timeoutMs), 0, 'Timeout');
    }
    throw err;
  }
}

async function notReadyReport(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  names: readonly string[],
  timeoutMs: number,
): Promise<string> {
  const lines: string[] = [];
  const deployments = await cluster.list({ apiVersion: API.Deployment, kind: 'Deployment' }, namespace, {
    labelSelector: `${LABEL_APP}=${app}`,
  });
  const pods = await cluster
    .list({ apiVersion: 'v1', kind: 'Pod' }, namespace, { labelSelector: `${LABEL_APP}=${app}` })
    .catch(() => ({ items: [] as KubeObject[] }));
  const allPods =
    pods.items.length > 0
      ? pods.items
      : (
          await cluster
            .list({ apiVersion: 'v1', kind: 'Pod' }, namespace)
            .catch(() => ({ items: [] as KubeObject[] }))
        ).items;
  for (const name of names) {
    const d = deployments.items.find((x) => x.metadata.name === name) as unknown as
      DeploymentLike | undefined;
    if (!d) {
      lines.push(`Deployment ${name} does not exist`);
      continue;
    }
    if (deploymentReady(d)) continue;
    lines.push(`Deployment ${name}: ${rolloutProgress(d)}`);
    const selector =
      (d as unknown as { spec?: { selector?: { matchLabels?: Record<string, string> } } }).spec?.selector
        ?.matchLabels ?? {};
    for (const pod of allPods) {
      const labels = pod.metadata.labels ?? {};
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
      const why = podProblem(pod);
      if (why) lines.push(`  pod ${pod.metadata.name}: ${why}`);
    }
  }
  const minutes =
    timeoutMs >= 60_000 ? `${Math.round(timeoutMs / 60_000)}m` : `${Math.round(timeoutMs / 1000)}s`;
  return `not ready after ${minutes}:\n  ${lines.join('\n  ')}`;
}

/** `r/w ready`, and what is missing in the words of `kubectl rollout status`. */
function rolloutProgress(d: DeploymentLike): string {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const [updated, total, available] = [s.updatedReplicas ?? 0, s.replicas ?? 0, s.availableReplicas ?? 0];
  const why =
    (s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)
      ? 'the controller has not seen the change yet'
      : updated < want
        ? `${updated} of ${want} new replicas updated`
        : total > updated
          ? `${total - updated} old replica${total - updated === 1 ? '' : 's'} pending termination`
          : available < updated
            ? `${available} of ${updated} updated replicas available`
            : '';
  return `${s.readyReplicas ?? 0}/${want} ready${why ? ` (${why})` : ''}`;
}

function podProblem(pod: KubeObject): string | undefined {
  const status = (pod.status ?? {}) as {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      state?: { waiting?: { reason?: string; message?: string } };
    }[];
  };
  const waiting = status.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  if (waiting) return [waiting.reason, waiting.message].filter(Boolean).join(': ');
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True')
    return [ready.reason ?? 'not ready', ready.message].filter(Boolean).join(': ');
  if (status.phase && status.phase !== 'Running') return `phase ${status.phase}`;
  return ready ? undefined : 'not ready';
}
