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
import { writeAgainOnConflict } from './conflicts.js';
import { createHash } from 'node:crypto';
import { stableStringify } from '../compile/stable.js';
import { contains, differences } from './contains.js';
import { inPool, WRITES_IN_FLIGHT } from './pool.js';
import { MANAGED_KINDS, readEveryone, readLive, readUnlabelled, type LiveSet } from './live.js';

/** Consecutive runs of one kind, in the order given: what may be written at once without reordering kinds. */
function runsOfKind<T extends { kind: string }>(items: readonly T[]): T[][] {
  const runs: T[][] = [];
  for (const item of items) {
    const last = runs.at(-1);
    if (last && last[0]?.kind === item.kind) last.push(item);
    else runs.push([item]);
  }
  return runs;
}

/** Records, on each object vela-ts writes, a hash of what it wrote: a field we stop setting is a change too. */
const ANNOTATION_APPLIED = 'vela-ts.dev/applied-hash';

function appliedHash(obj: KubeObject): string {
  return createHash('sha256').update(stableStringify(obj)).digest('hex').slice(0, 16);
}

/** Ours means written by vela-ts for this app; another app's object is as foreign as a stranger's. */
export function ownedBy(o: KubeObject, app: string): boolean {
  return o.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY && o.metadata.labels[LABEL_APP] === app;
}

function foreign(o: KubeObject, namespace: string): string {
  const owner =
    o.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY ? o.metadata.labels[LABEL_APP] : undefined;
  const whose = owner ? `belongs to vela-ts app "${owner}"` : 'is not managed by vela-ts';
  return `${o.kind} ${namespace}/${o.metadata.name} already exists and ${whose}; rename the component, remove the object, or pass --force to take it over`;
}

export interface Change {
  kind: string;
  name: string;
  /** `Kind/name`, for people. */
  object: string;
  action: 'create' | 'update';
  /** Fields that differ from the live object (updates only), e.g. `spec.replicas`. */
  fields: string[];
}

export interface ApplyResult {
  /** What was written (or, with `checkOnly`, would be), in apply order. */
  changes: Change[];
  /** Objects of this app that it no longer renders: removed by `prune`, once the rest is ready. */
  stale: KubeObject[];
  /**
   * The app's objects as the cluster holds them now: what was read, with the server's answer to
   * each write in place of what it replaced. A caller that passes it back as `live` next time
   * needs no re-list after its own writes.
   */
  live: LiveSet;
}

/**
 * The fields of `live` that `wanted` sets differently and that Kubernetes never lets anyone change
 * after creation (a Deployment's selector): taking such an object over cannot succeed, --force or not.
 */
function immutableDifference(live: KubeObject, wanted: KubeObject): string | undefined {
  if (wanted.kind !== 'Deployment' || !wanted.spec) return undefined;
  const selector = (o: KubeObject) =>
    stableStringify((o.spec as { selector?: unknown } | undefined)?.selector ?? null);
  return selector(live) !== selector(wanted) ? 'spec.selector' : undefined;
}

/**
 * Refuses, before anything is written (no object, no lease, no revision record), what the run
 * could not finish: an object the app would render that exists and is not this app's, unless
 * `force` takes it over and can (a stranger's object whose immutable fields already match);
 * another vela-ts app's object or revision record, which no flag may take. Each problem once,
 * all at once, and --force is suggested only where it would work. Returns what it read: the app's
 * objects, and every object of the kinds vela-ts renders.
 */
export async function checkOwnership(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  desired: readonly KubeObject[],
  force: boolean,
  moreDeployments: readonly string[] = [],
  revisions: readonly string[] = [],
): Promise<LiveSet> {
  const later = moreDeployments.map((name): KubeObject => ({
    apiVersion: API.Deployment,
    kind: 'Deployment',
    metadata: { name, namespace },
  }));
  const problems: string[] = [];
  const seen = new Set<string>();
  // Everything of each kind vela-ts renders, labelled or not, one list a kind: whose each object
  // is tells itself, and the app's own are the live set a driver may start from (`up`).
  const kinds = new Map<string, KindRef>(MANAGED_KINDS.map((k) => [`${k.apiVersion}/${k.kind}`, k]));
  for (const o of [...desired, ...later])
    kinds.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
  const everyone = await readEveryone(cluster, namespace, [...kinds.values()]);
  for (const wanted of [...desired, ...later]) {
    const key = objectKey(wanted);
    if (seen.has(key)) continue;
    seen.add(key);
    const current = everyone.get(key);
    if (!current || ownedBy(current, app)) continue;
    const where = `${current.kind} ${namespace}/${current.metadata.name}`;
    const owner =
      current.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY
        ? current.metadata.labels[LABEL_APP]
        : undefined;
    const immutable = immutableDifference(current, wanted);
    if (owner) {
      problems.push(
        `${where} already exists and belongs to vela-ts app "${owner}"; two apps in one namespace cannot share a component name: rename the component`,
      );
    } else if (immutable) {
      problems.push(
        `${where} already exists and is not managed by vela-ts, and its ${immutable} differs from this app's, which Kubernetes does not let anyone change (not even with --force): rename the component, or remove the object`,
      );
    } else if (!force) {
      problems.push(
        `${where} already exists and is not managed by vela-ts; rename the component, remove the object, or pass --force to take it over`,
      );
    }
  }
  if (revisions.length > 0) {
    const records = await cluster.list(
      { apiVersion: API.ControllerRevision, kind: 'ControllerRevision' },
      namespace,
    );
    for (const r of records.items) {
      if (!revisions.includes(r.metadata.name) || r.metadata.labels?.[LABEL_APP] === app) continue;
      const owner =
        r.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY
          ? `vela-ts app "${r.metadata.labels[LABEL_APP]}"`
          : 'something other than vela-ts';
      problems.push(
        `ControllerRevision ${namespace}/${r.metadata.name} belongs to ${owner}; two apps in one namespace cannot share a component name: rename the component`,
      );
    }
  }
  if (problems.length > 0) throw new ClusterError(problems.join('\n'), 0, 'NotOurs');
  const managed = new Set(MANAGED_KINDS.map((k) => k.kind));
  const byKey = new Map(
    [...everyone].filter(([, o]) => managed.has(o.kind) && o.metadata.labels?.[LABEL_APP] === app),
  );
  return { byKey, everyone, everyKinds: new Set(kinds.keys()) };
}

/**
 * Makes the cluster hold `desired`: server-side apply of what differs, in apply order (subsets
 * before routes). Reads only when nothing differs. Objects vela-ts did not write for this app are
 * never changed unless `force`.
 */
export async function applyObjects(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  desired: readonly KubeObject[],
  opts: {
    force: boolean;
    dryRun?: boolean;
    checkOnly?: boolean;
    /** What an earlier call returned as `live` (this app's objects, kept up to date by the caller). */
    live?: LiveSet;
  },
): Promise<ApplyResult> {
  const live = opts.live ?? (await readLive(cluster, namespace, app));
  const everyone = await readUnlabelled(cluster, namespace, desired, live);
  // Every ownership check before the first write: a run refused for one object writes nothing.
  const writes: Array<{ obj: KubeObject; change: Change }> = [];
  for (const wanted of desired) {
    const key = objectKey(wanted);
    // Not labelled for this app: it may still exist, owned by someone else.
    const current = live.byKey.get(key) ?? everyone.get(key);
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
    const named = { kind: obj.kind, name: obj.metadata.name, object: `${obj.kind}/${obj.metadata.name}` };
    const change: Change = current
      ? { ...named, action: 'update', fields: differences(current, wanted) }
      : { ...named, action: 'create', fields: [] };
    writes.push({ obj, change });
  }
  const now = new Map(live.byKey);
  if (!opts.checkOnly) {
    // Kind after kind in apply order (a DestinationRule's subsets exist before a VirtualService
    // routes to them, a Gateway before the routes bound to it); the objects of one kind are
    // independent of each other, so they go a few at a time.
    for (const run of runsOfKind(writes.map((w) => ({ kind: w.obj.kind, w })))) {
      await inPool(run, WRITES_IN_FLIGHT, async ({ w }) => {
        const answer = await writeAgainOnConflict(() =>
          cluster.apply(w.obj, {
            force: opts.force || w.change.action === 'update',
            ...(opts.dryRun ? { dryRun: true } : {}),
          }),
        );
        // Server-side apply answers with the object as stored: that is the live object now.
        if (!opts.dryRun)
          now.set(objectKey(w.obj), { ...answer, apiVersion: w.obj.apiVersion, kind: w.obj.kind });
      });
    }
  }
  const changes = writes.map((w) => w.change);
  const keep = new Set(desired.map(objectKey));
  const stale = [...live.byKey.values()].filter((o) => ownedBy(o, app) && !keep.has(objectKey(o)));
  return { changes, stale, live: { byKey: now } };
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
  // Kind after kind, routes first; within a kind a few at a time.
  for (const run of runsOfKind(ordered)) {
    await inPool(run, WRITES_IN_FLIGHT, (o) =>
      writeAgainOnConflict(() =>
        cluster.delete(
          { apiVersion: o.apiVersion, kind: o.kind, namespace, name: o.metadata.name },
          opts.dryRun ? { dryRun: true } : {},
        ),
      ),
    );
    deleted.push(...run.map((o) => `${o.kind}/${o.metadata.name}`));
  }
  return deleted;
}
