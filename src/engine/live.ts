/**
 * Reading what the cluster holds of an app: its objects of the kinds vela-ts renders (found by the
 * app's label, one list a kind), and every object of a kind, labelled or not, where whose an
 * object is must be told.
 */
import { API, KIND_ORDER, LABEL_APP, objectKey, type KubeObject } from '../compile/index.js';
import type { ClusterClient, KindRef } from '../cluster/types.js';

/** The kinds vela-ts renders, and so prunes. */
export const MANAGED_KINDS: KindRef[] = KIND_ORDER.map((kind) => ({ apiVersion: API[kind], kind }));

export interface LiveSet {
  byKey: Map<string, KubeObject>;
  /**
   * Every object of the kinds in `everyKinds` (`apiVersion/kind`), labelled or not, when they were
   * read with `byKey`: whose an object the app would create is, without a list of its own.
   */
  everyone?: Map<string, KubeObject>;
  everyKinds?: Set<string>;
}

/** Everything of the managed kinds that carries the app's label, one list per kind, all at once. */
export async function readLive(cluster: ClusterClient, namespace: string, app: string): Promise<LiveSet> {
  const byKey = new Map<string, KubeObject>();
  const lists = await Promise.all(
    MANAGED_KINDS.map((kind) => cluster.list(kind, namespace, { labelSelector: `${LABEL_APP}=${app}` })),
  );
  // Keyed in kind order whatever order the answers came in: what is pruned goes in a stable order.
  for (const [i, list] of lists.entries()) {
    const kind = MANAGED_KINDS[i] as KindRef;
    for (const item of list.items)
      byKey.set(objectKey({ ...item, kind: kind.kind }), {
        ...item,
        apiVersion: kind.apiVersion,
        kind: kind.kind,
      });
  }
  return { byKey };
}

/**
 * Every object of the kinds of `wanted` that `live` lacks, labelled or not, one list per kind: an
 * object the app would render may exist under someone else's name, and a list per kind costs one
 * request where a GET per object costs one each (most of them answered 404 on a first deploy).
 */
export async function readUnlabelled(
  cluster: ClusterClient,
  namespace: string,
  wanted: readonly KubeObject[],
  live: LiveSet,
): Promise<Map<string, KubeObject>> {
  const kinds = new Map<string, KindRef>();
  for (const o of wanted) {
    if (!live.byKey.has(objectKey(o)))
      kinds.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
  }
  const known = live.everyone;
  if (known && [...kinds.keys()].every((k) => live.everyKinds?.has(k))) return known;
  return readEveryone(cluster, namespace, [...kinds.values()]);
}

/** Every object of `refs` in the namespace, labelled or not, one list per kind, all at once. */
export async function readEveryone(
  cluster: ClusterClient,
  namespace: string,
  refs: readonly KindRef[],
): Promise<Map<string, KubeObject>> {
  const byKey = new Map<string, KubeObject>();
  const lists = await Promise.all(refs.map((kind) => cluster.list(kind, namespace)));
  for (const [i, list] of lists.entries()) {
    const kind = refs[i] as KindRef;
    for (const item of list.items) {
      const obj = { ...item, apiVersion: kind.apiVersion, kind: kind.kind };
      byKey.set(objectKey({ ...obj, metadata: { ...obj.metadata, namespace } }), obj);
    }
  }
  return byKey;
}
