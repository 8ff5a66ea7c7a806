import type { Application } from '../appfile/types.js';
import type { ClusterClient, KindRef, KubeObject, ObjectRef } from '../cluster/types.js';
import { settled, specHash, type AppState } from '../workflow/index.js';
import { applyObjects, prune } from './apply.js';
import { nowIso, type EngineContext } from './context.js';
import { objectsOf } from './drive.js';
import { fieldChanges, maskSecrets, withoutNoise, type FieldChange } from './objdiff.js';
import { loadState } from './store.js';

/** One object `up` would create, change or delete, both sides without server-managed noise. */
export interface ObjectDiff {
  kind: string;
  name: string;
  /** `Kind/name`, for people. */
  object: string;
  action: 'create' | 'update' | 'delete';
  /** As the cluster holds it (absent for a create). */
  before?: KubeObject;
  /** As the server answered the dry run of the write (absent for a delete). */
  after?: KubeObject;
  /** What changes, JSON-Patch-like; a create is one `add` of the whole object, a delete one `remove`. */
  fields: FieldChange[];
}

/** A component whose recorded workflow was rolled back: the spec's revision does not run. */
export interface RolledBack {
  component: string;
  /** The revision the spec renders. */
  wanted: string;
  /** The revisions that run instead. */
  running: string[];
}

export interface DiffReport {
  /** True when the file differs from the spec last applied: `up` would run its workflow. */
  specChanged: boolean;
  /** The steps `up` would run (empty when the spec is unchanged). */
  steps: { name: string; type: string }[];
  /** Creates and updates in apply order, then deletes (routes first). */
  objects: ObjectDiff[];
  /** For an unchanged spec whose last workflow was a rollback: what the file wants and does not run. */
  rolledBack: RolledBack[];
}

const keyOf = (kind: string, name: string) => `${kind}/${name}`;

/**
 * The cluster as `applyObjects` saw it and the server's answers to its dry runs: the objects it
 * read (by list or get) and what each dry-run apply returned. A proxy, so the client keeps every
 * other member as it is.
 */
function recording(cluster: ClusterClient): {
  cluster: ClusterClient;
  read: Map<string, KubeObject>;
  answered: Map<string, KubeObject>;
} {
  const read = new Map<string, KubeObject>();
  const answered = new Map<string, KubeObject>();
  const seen = (kind: KindRef, o: KubeObject) =>
    read.set(keyOf(kind.kind, o.metadata.name), { ...o, apiVersion: kind.apiVersion, kind: kind.kind });
  const wrapped: Partial<ClusterClient> = {
    get: async (ref: ObjectRef) => {
      const o = await cluster.get(ref);
      if (o) seen(ref, o);
      return o;
    },
    list: async (kind, namespace, opts) => {
      const out = await cluster.list(kind, namespace, opts);
      for (const o of out.items) seen(kind, o);
      return out;
    },
    apply: async (obj, opts) => {
      const out = await cluster.apply(obj, opts);
      answered.set(keyOf(obj.kind, obj.metadata.name), {
        ...out,
        apiVersion: obj.apiVersion,
        kind: obj.kind,
      });
      return out;
    },
  };
  const proxy = new Proxy(cluster, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in wrapped) return wrapped[prop as keyof ClusterClient];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { cluster: proxy, read, answered };
}

function objectDiff(
  kind: string,
  name: string,
  action: ObjectDiff['action'],
  live: KubeObject | undefined,
  answer: KubeObject | undefined,
): ObjectDiff {
  const masked = maskSecrets(
    live && action !== 'create' ? withoutNoise(live) : undefined,
    answer && action !== 'delete' ? withoutNoise(answer) : undefined,
  );
  return {
    kind,
    name,
    object: keyOf(kind, name),
    action,
    ...(masked.before ? { before: masked.before } : {}),
    ...(masked.after ? { after: masked.after } : {}),
    fields: fieldChanges(masked.before, masked.after),
  };
}

/** An unchanged spec whose workflow was a rollback: each component whose wanted revision does not run. */
function rolledBackComponents(state: AppState): RolledBack[] {
  if (!state.override?.some((s) => s.type === 'canary-rollback')) return [];
  return Object.entries(state.current).flatMap(([component, wanted]) => {
    const running = Object.entries(state.placement[component]?.replicas ?? {})
      .filter(([, n]) => n > 0)
      .map(([revision]) => revision);
    return running.length > 0 && !running.includes(wanted) ? [{ component, wanted, running }] : [];
  });
}

/**
 * `diff`: how the cluster would differ once `up` FILE has run its whole workflow (every approval
 * given), or, for an unchanged spec, where the cluster has drifted from it. Every write is checked
 * by the server with dryRun=All, and its answer is the object after; nothing is stored.
 */
export async function diff(ctx: EngineContext, app: Application, namespace: string): Promise<DiffReport> {
  const stored = await loadState(ctx.cluster, namespace, app.name);
  const specChanged = !stored || stored.state.specHash !== specHash(app);
  const now = nowIso(ctx);
  const target = specChanged ? settled(app, namespace, stored?.state, now) : stored.state;
  const seen = recording(ctx.cluster);
  const { changes, stale } = await applyObjects(seen.cluster, namespace, app.name, objectsOf(target), {
    force: ctx.force,
    dryRun: true,
  });
  const deleted = await prune(ctx.cluster, namespace, stale, { dryRun: true });
  const staleByKey = new Map(stale.map((o) => [keyOf(o.kind, o.metadata.name), o]));
  const objects = [
    ...changes.map((c) =>
      objectDiff(c.kind, c.name, c.action, seen.read.get(c.object), seen.answered.get(c.object)),
    ),
    ...deleted.map((object) => {
      const live = staleByKey.get(object);
      return objectDiff(live?.kind ?? '', live?.metadata.name ?? object, 'delete', live, undefined);
    }),
  ];
  const steps = specChanged ? target.workflow.steps.map((st) => ({ name: st.name, type: st.type })) : [];
  return { specChanged, steps, objects, rolledBack: specChanged ? [] : rolledBackComponents(target) };
}
