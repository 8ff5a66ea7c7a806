import { KIND_ORDER, objectKey, type KubeObject, type ManagedKind } from './objects.js';
import { stableStringify } from './stable.js';

/** How one object differs between two renderings of an app. */
export interface ObjectChange {
  action: 'create' | 'update' | 'delete';
  kind: string;
  name: string;
  /** Updates: the fields whose value differs (a list as a whole), e.g. `spec.replicas`. */
  fields?: string[];
  /** Creates and updates: the object as it is written. */
  object?: KubeObject;
}

/**
 * What turns the objects `before` into `after`: creates and updates in the order of `after` (the
 * apply order), then deletes routes first, as they are pruned (a route goes before the subset and
 * workload it points at).
 */
export function objectChanges(before: readonly KubeObject[], after: readonly KubeObject[]): ObjectChange[] {
  const old = new Map(before.map((o) => [objectKey(o), o]));
  const changes: ObjectChange[] = [];
  for (const o of after) {
    const key = objectKey(o);
    const was = old.get(key);
    old.delete(key);
    const named = { kind: o.kind, name: o.metadata.name };
    if (!was) changes.push({ action: 'create', ...named, object: o });
    // Both sides come out of `compile` in canonical key order: equal text is equal objects.
    else if (JSON.stringify(was) !== JSON.stringify(o)) {
      const fields = changedFields(was, o, '');
      if (fields.length > 0) changes.push({ action: 'update', ...named, fields, object: o });
    }
  }
  const rank = (k: string) => {
    const i = KIND_ORDER.indexOf(k as ManagedKind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  const gone = [...old.values()].sort(
    (a, b) =>
      rank(b.kind) - rank(a.kind) ||
      (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0),
  );
  for (const o of gone) changes.push({ action: 'delete', kind: o.kind, name: o.metadata.name });
  return changes;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The paths whose values differ, down to the first list or scalar (a field set or dropped counts). */
function changedFields(a: unknown, b: unknown, path: string): string[] {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedFields(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return stableStringify(a ?? null) === stableStringify(b ?? null) ? [] : [path || '(whole object)'];
}
