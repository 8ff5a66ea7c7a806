import { StatusError } from './errors.js';
import type { SchemaView } from './schema.js';
import { clone, deepEqual, isObj, type KObject, type ManagedFieldsEntry, type Obj } from './util.js';

/**
 * Server-side apply bookkeeping after structured-merge-diff: a field set is a set of paths whose
 * elements are `f:<field>`, `k:<json of the list-map keys>` (an item of an associative list) and
 * `v:<json>` (an item of a set list), the same alphabet as `managedFields[].fieldsV1`.
 */
export type FieldSet = Set<string>;
type Path = string[];

const SEP = '\u0001';
const enc = (p: Path) => p.join(SEP);
const dec = (s: string): Path => (s === '' ? [] : s.split(SEP));

/** Fields the apiserver never lets a manager own (fieldmanager `stripSet`). */
const SYSTEM_META = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** The part of an object a write to `scope` may own: status only for /status, everything else otherwise. */
export function ownable(obj: KObject | Obj, scope: 'main' | 'status', hasStatusSubresource: boolean): Obj {
  const o = clone(obj) as Obj;
  delete o.apiVersion;
  delete o.kind;
  if (isObj(o.metadata)) {
    for (const k of SYSTEM_META) delete o.metadata[k];
    if (Object.keys(o.metadata).length === 0) delete o.metadata;
  }
  if (scope === 'status') return o.status === undefined ? {} : { status: o.status };
  if (hasStatusSubresource) delete o.status;
  return o;
}

/** The item key of a list-map entry; a missing key field takes its schema default (ports: protocol TCP). */
function keyOf(item: Obj, keys: string[], items?: SchemaView): string {
  const k: Obj = {};
  for (const key of [...keys].sort()) {
    const v = item[key] ?? items?.prop(key)?.r.default;
    if (v !== undefined) k[key] = v;
  }
  return `k:${JSON.stringify(k)}`;
}

export function fieldSetOf(
  value: unknown,
  view: SchemaView | undefined,
  path: Path = [],
  out: FieldSet = new Set(),
): FieldSet {
  if (isObj(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0 && path.length > 0) out.add(enc(path));
    for (const k of keys) fieldSetOf(value[k], view?.prop(k), [...path, `f:${k}`], out);
  } else if (Array.isArray(value)) {
    const lt = view?.listType ?? 'atomic';
    const mapKeys = view?.listMapKeys ?? [];
    if (lt === 'map' && mapKeys.length && value.every(isObj)) {
      const items = view?.items();
      for (const item of value) {
        const el = [...path, keyOf(item, mapKeys, items)];
        out.add(enc(el));
        for (const k of Object.keys(item))
          if (item[k] !== undefined) fieldSetOf(item[k], items?.prop(k), [...el, `f:${k}`], out);
      }
    } else if (lt === 'set') {
      for (const item of value) out.add(enc([...path, `v:${JSON.stringify(item)}`]));
    } else out.add(enc(path));
  } else if (path.length > 0) out.add(enc(path));
  return out;
}

/** What is at a path, navigating list-map keys and set values. */
function lookup(obj: unknown, path: Path): { found: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const el of path) {
    if (el.startsWith('f:')) {
      if (!isObj(cur) || !(el.slice(2) in cur) || cur[el.slice(2)] === undefined) return { found: false };
      cur = cur[el.slice(2)];
    } else if (el.startsWith('k:')) {
      const want = JSON.parse(el.slice(2)) as Obj;
      if (!Array.isArray(cur)) return { found: false };
      const hit: unknown = cur.find(
        (x) => isObj(x) && Object.entries(want).every(([k, v]) => deepEqual(x[k], v)),
      );
      if (hit === undefined) return { found: false };
      cur = hit;
    } else if (el.startsWith('v:')) {
      const want = JSON.parse(el.slice(2)) as unknown;
      if (!Array.isArray(cur) || !cur.some((x) => deepEqual(x, want))) return { found: false };
      cur = want;
    }
  }
  return { found: true, value: cur };
}

function removePath(obj: unknown, path: Path): void {
  if (path.length === 0) return;
  const parent = lookup(obj, path.slice(0, -1));
  if (!parent.found) return;
  const el = path[path.length - 1]!;
  const p = parent.value;
  if (el.startsWith('f:') && isObj(p)) delete p[el.slice(2)];
  else if (Array.isArray(p)) {
    const hit = lookup(p, [el]);
    if (hit.found) {
      const i = p.findIndex((x) => x === hit.value || deepEqual(x, hit.value));
      if (i >= 0) p.splice(i, 1);
    }
  }
}

/** `.spec.template.spec.containers[name="app"].image`, as fieldpath.Path prints. */
export function printPath(s: string): string {
  let out = '';
  for (const el of dec(s)) {
    if (el.startsWith('f:')) out += `.${el.slice(2)}`;
    else if (el.startsWith('k:')) {
      const k = JSON.parse(el.slice(2)) as Obj;
      out += `[${Object.entries(k)
        .map(([a, b]) => `${a}=${JSON.stringify(b)}`)
        .join(',')}]`;
    } else if (el.startsWith('v:')) out += `[=${el.slice(2)}]`;
  }
  return out;
}

export function toFieldsV1(set: FieldSet): Obj {
  const root: Obj = {};
  const members = new Set(set);
  for (const s of [...set].sort()) {
    let node = root;
    for (const el of dec(s)) {
      if (!isObj(node[el])) node[el] = {};
      node = node[el] as Obj;
    }
  }
  // A member that also has children is marked with ".", as fieldsV1 does for list items.
  const mark = (node: Obj, prefix: Path) => {
    for (const [k, child] of Object.entries(node)) {
      const p = [...prefix, k];
      const c = child as Obj;
      if (Object.keys(c).length > 0 && members.has(enc(p))) {
        mark(c, p);
        const rest = { ...c };
        for (const key of Object.keys(c)) delete c[key];
        Object.assign(c, { '.': {} }, rest);
      } else mark(c, p);
    }
  };
  mark(root, []);
  return root;
}

export function fromFieldsV1(tree: unknown, prefix: Path = [], out: FieldSet = new Set()): FieldSet {
  if (!isObj(tree)) return out;
  for (const [k, child] of Object.entries(tree)) {
    if (k === '.') {
      out.add(enc(prefix));
      continue;
    }
    const p = [...prefix, k];
    if (isObj(child) && Object.keys(child).length > 0) fromFieldsV1(child, p, out);
    else out.add(enc(p));
  }
  return out;
}

/** Merge an apply configuration into the live object: maps by key, list-maps by item key, sets by value, the rest replaced. */
export function mergeApply(live: unknown, config: unknown, view: SchemaView | undefined): unknown {
  if (isObj(config)) {
    const out: Obj = isObj(live) ? clone(live) : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === null) delete out[k];
      else out[k] = mergeApply(out[k], v, view?.prop(k));
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live) && view) {
    if (view.listType === 'map' && view.listMapKeys.length && config.every(isObj)) {
      const keys = view.listMapKeys;
      const items = view.items();
      const out = clone(live);
      for (const item of config) {
        const i = out.findIndex((x) => isObj(x) && keyOf(x, keys, items) === keyOf(item, keys, items));
        if (i >= 0) out[i] = mergeApply(out[i], item, view.items());
        else out.push(clone(item));
      }
      return out;
    }
    if (view.listType === 'set') {
      const out = clone(live);
      for (const v of config) if (!out.some((x) => deepEqual(x, v))) out.push(clone(v));
      return out;
    }
  }
  return clone(config);
}

function entryId(e: ManagedFieldsEntry): string {
  return `${e.manager}|${e.operation}|${e.subresource ?? ''}`;
}

function managerLabel(e: ManagedFieldsEntry): string {
  // conflict.go printManager: Apply managers print bare; Update managers add "using <apiVersion> at <time>".
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update')
    s += e.time ? ` using ${e.apiVersion} at ${e.time}` : ` using ${e.apiVersion}`;
  return s;
}

export interface ApplyInput {
  live: KObject | undefined;
  /** The apply configuration, already reduced to what this scope may own (see `ownable`). */
  config: Obj;
  manager: string;
  force: boolean;
  apiVersion: string;
  subresource?: string;
  view: SchemaView | undefined;
  now: string;
  scope: 'main' | 'status';
  hasStatusSubresource: boolean;
}

/** The managedFields entry of one manager's writes, with no fields yet. */
function managerEntry(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  subresource: string | undefined,
): ManagedFieldsEntry {
  const entry: ManagedFieldsEntry = { manager, operation, apiVersion, fieldsType: 'FieldsV1', fieldsV1: {} };
  if (subresource) entry.subresource = subresource;
  return entry;
}

/**
 * Server-side apply: returns the merged object with updated managedFields, or throws the 409
 * conflict Status that names each other manager and field, exactly as conflict.go words it.
 */
export function serverSideApply(inp: ApplyInput): KObject {
  const live = inp.live ? clone(inp.live) : ({ metadata: {} } as KObject);
  const entries: ManagedFieldsEntry[] = clone(live.metadata.managedFields ?? []);
  const me = managerEntry(inp.manager, 'Apply', inp.apiVersion, inp.subresource);
  const myId = entryId(me);
  const prevMine = entries.find((e) => entryId(e) === myId);
  const prevSet = prevMine ? fromFieldsV1(prevMine.fieldsV1) : new Set<string>();

  const applySet = fieldSetOf(inp.config, inp.view);
  const merged = mergeApply(live, inp.config, inp.view) as KObject;

  // A path is a leaf of the apply set when nothing below it is applied too; only leaves compare values.
  const sortedApply = [...applySet].sort();
  const isLeaf = (p: string) => !sortedApply.some((q) => q.length > p.length && q.startsWith(p + SEP));
  const changed = new Set<string>();
  for (const p of applySet) {
    const before = lookup(live, dec(p));
    const after = lookup(merged, dec(p));
    if (before.found !== after.found || (isLeaf(p) && !deepEqual(before.value, after.value))) changed.add(p);
  }

  const conflicts: Array<{ entry: ManagedFieldsEntry; path: string }> = [];
  for (const e of entries) {
    if (entryId(e) === myId) continue;
    const theirs = fromFieldsV1(e.fieldsV1);
    for (const p of changed) if (theirs.has(p)) conflicts.push({ entry: e, path: p });
  }
  if (conflicts.length && !inp.force) throw conflictError(conflicts);

  // Fields this manager applied before and leaves out now are removed, unless someone else owns them.
  const othersOwn = new Set<string>();
  for (const e of entries)
    if (entryId(e) !== myId) for (const p of fromFieldsV1(e.fieldsV1)) othersOwn.add(p);
  const forced = new Set(conflicts.map((c) => c.path));
  for (const p of forced) othersOwn.delete(p);
  const toRemove = [...prevSet]
    .filter((p) => !applySet.has(p) && !othersOwn.has(p))
    .sort((a, b) => dec(b).length - dec(a).length);
  for (const p of toRemove) removePath(merged, dec(p));

  const next: ManagedFieldsEntry[] = [];
  let placed = false;
  for (const e of entries) {
    if (entryId(e) === myId) {
      next.push(finishEntry(me, applySet, prevMine, inp.now));
      placed = true;
      continue;
    }
    if (!conflicts.some((c) => c.entry === e)) {
      next.push(e);
      continue;
    }
    const theirs = fromFieldsV1(e.fieldsV1);
    for (const c of conflicts) if (c.entry === e) theirs.delete(c.path);
    if (theirs.size) next.push({ ...e, fieldsV1: toFieldsV1(theirs) });
  }
  if (!placed) next.push(finishEntry(me, applySet, undefined, inp.now));
  merged.metadata = merged.metadata ?? {};
  merged.metadata.managedFields = next;
  return merged;
}

function finishEntry(
  me: ManagedFieldsEntry,
  set: FieldSet,
  prev: ManagedFieldsEntry | undefined,
  now: string,
): ManagedFieldsEntry {
  const fieldsV1 = toFieldsV1(set);
  // An apply that changes nothing keeps the recorded time, so a no-op apply is a true no-op.
  const time =
    prev && deepEqual(prev.fieldsV1, fieldsV1) && prev.apiVersion === me.apiVersion ? prev.time : now;
  const e: ManagedFieldsEntry = {
    manager: me.manager,
    operation: 'Apply',
    apiVersion: me.apiVersion,
    time: time ?? now,
    fieldsType: 'FieldsV1',
    fieldsV1,
  };
  if (me.subresource) e.subresource = me.subresource;
  return e;
}

function conflictError(conflicts: Array<{ entry: ManagedFieldsEntry; path: string }>): StatusError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${managerLabel(c.entry)}`,
    field: printPath(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${managerLabel(conflicts[0]!.entry)}: ${printPath(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const label = managerLabel(c.entry);
      byManager.set(label, [...(byManager.get(label) ?? []), printPath(c.path)]);
    }
    const lines: string[] = [];
    for (const label of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${label}`);
      for (const p of byManager.get(label)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

export interface UpdateInput {
  old: KObject | undefined;
  next: KObject;
  manager: string;
  apiVersion: string;
  subresource?: string;
  view: SchemaView | undefined;
  now: string;
  scope: 'main' | 'status';
  hasStatusSubresource: boolean;
}

/**
 * managedFields after a non-apply write: the writer's Update entry gains the fields it changed,
 * other managers lose them, and fields that no longer exist leave every set.
 */
export function recordUpdate(inp: UpdateInput): ManagedFieldsEntry[] {
  const entries = clone(inp.old?.metadata.managedFields ?? []);
  const oldSet = inp.old
    ? fieldSetOf(ownable(inp.old, inp.scope, inp.hasStatusSubresource), inp.view)
    : new Set<string>();
  const newScoped = ownable(inp.next, inp.scope, inp.hasStatusSubresource);
  const newSet = fieldSetOf(newScoped, inp.view);
  const present = fieldSetOf(ownable(inp.next, 'main', false), inp.view);
  const changed = new Set<string>();
  for (const p of newSet) {
    if (!oldSet.has(p)) changed.add(p);
    else if (!deepEqual(lookup(inp.old, dec(p)).value, lookup(inp.next, dec(p)).value)) changed.add(p);
  }
  const me = managerEntry(inp.manager, 'Update', inp.apiVersion, inp.subresource);
  const myId = entryId(me);
  const out: ManagedFieldsEntry[] = [];
  let mine: FieldSet | undefined;
  let mineIndex = -1;
  for (const e of entries) {
    const set = fromFieldsV1(e.fieldsV1);
    for (const p of [...set]) if (!present.has(p) && !hasDescendant(present, p)) set.delete(p);
    if (entryId(e) === myId) {
      mine = set;
      mineIndex = out.length;
      out.push(e);
      continue;
    }
    for (const p of changed) set.delete(p);
    if (set.size === 0) continue;
    out.push(sameSet(set, fromFieldsV1(e.fieldsV1)) ? e : { ...e, fieldsV1: toFieldsV1(set) });
  }
  if (changed.size === 0 && mineIndex < 0) return out;
  const set = mine ?? new Set<string>();
  for (const p of changed) set.add(p);
  const entry: ManagedFieldsEntry = {
    ...me,
    time: changed.size ? inp.now : (entries.find((e) => entryId(e) === myId)?.time ?? inp.now),
    fieldsV1: toFieldsV1(set),
  };
  if (set.size === 0) {
    if (mineIndex >= 0) out.splice(mineIndex, 1);
  } else if (mineIndex >= 0) out[mineIndex] = entry;
  else out.push(entry);
  return out;
}

function hasDescendant(set: FieldSet, p: string): boolean {
  for (const q of set) if (q.startsWith(p + SEP)) return true;
  return false;
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
