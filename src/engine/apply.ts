/**
 * The write path: makes the cluster hold what the app renders by server-side apply of only what
 * differs (contains.ts), kind after kind in apply order and a few objects of a kind at a time,
 * never over an object that is not the app's own (ownership.ts) unless forced; and removes, routes
 * first, what the app no longer renders.
 */
import { ANNOTATION_APPLIED_HASH, KIND_ORDER, objectKey, type KubeObject } from '../compile/index.js';
import type { ClusterClient } from '../cluster/types.js';
import { ClusterError } from '../errors.js';
import { writeAgainOnConflict } from './conflicts.js';
import { createHash } from 'node:crypto';
import { stableStringify } from '../compile/stable.js';
import { contains, differences } from './contains.js';
import { inPool, WRITES_IN_FLIGHT } from './pool.js';
import { readLive, readUnlabelled, type LiveSet } from './live.js';
import { foreign, ownedBy } from './ownership.js';

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

function appliedHash(obj: KubeObject): string {
  return createHash('sha256').update(stableStringify(obj)).digest('hex').slice(0, 16);
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
        annotations: { ...wanted.metadata.annotations, [ANNOTATION_APPLIED_HASH]: hash },
      },
    };
    if (
      current &&
      current.metadata.annotations?.[ANNOTATION_APPLIED_HASH] === hash &&
      contains(current, wanted)
    )
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
