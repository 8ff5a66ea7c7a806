/**
 * Whose an object is: ours when vela-ts wrote it for this app (its labels say so), anyone else's
 * otherwise, and the refusal, before anything is written, of what the app would render over an
 * object that is not its own.
 */
import {
  API,
  LABEL_APP,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  objectKey,
  type KubeObject,
} from '../compile/index.js';
import type { ClusterClient, KindRef } from '../cluster/types.js';
import { ClusterError } from '../errors.js';
import { stableStringify } from '../compile/stable.js';
import { MANAGED_KINDS, readEveryone, type LiveSet } from './live.js';

/** Ours means written by vela-ts for this app; another app's object is as foreign as a stranger's. */
export function ownedBy(o: KubeObject, app: string): boolean {
  return o.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY && o.metadata.labels[LABEL_APP] === app;
}

/** The vela-ts app whose object `o` is, or undefined when vela-ts did not write it. */
function ownerApp(o: KubeObject): string | undefined {
  return o.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY ? o.metadata.labels[LABEL_APP] : undefined;
}

/** Why `applyObjects` will not write over `o`, an object that is not this app's. */
export function foreign(o: KubeObject, namespace: string): string {
  const owner = ownerApp(o);
  const whose = owner ? `belongs to vela-ts app "${owner}"` : 'is not managed by vela-ts';
  return `${o.kind} ${namespace}/${o.metadata.name} already exists and ${whose}; rename the component, remove the object, or pass --force to take it over`;
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
    const owner = ownerApp(current);
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
      const other = ownerApp(r);
      const owner = other !== undefined ? `vela-ts app "${other}"` : 'something other than vela-ts';
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
