import { badRequest, genericInvalid } from './errors.js';
import type { SchemaView } from './schema.js';
import { clone, deepEqual, isObj, type Obj } from './util.js';

/** RFC 7386 JSON merge patch: objects merge, null deletes, everything else (arrays too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new Error(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 JSON patch. Decoding problems are 400s, failing operations 422s, as the apiserver answers. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObj(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    }
    const op = raw as unknown as Op;
    try {
      doc = applyOp(doc, op);
    } catch (e) {
      throw genericInvalid((e as Error).message);
    }
  }
  return doc;
}

function parentOf(
  doc: unknown,
  path: string[],
  op: string,
  fullPath: string,
): { parent: Obj | unknown[]; key: string } {
  let cur = doc;
  for (const seg of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else cur = undefined;
    if (cur === undefined)
      throw new Error(`${op} operation does not apply: doc is missing path: "${fullPath}": missing value`);
  }
  if (!isObj(cur) && !Array.isArray(cur))
    throw new Error(`${op} operation does not apply: doc is missing path: "${fullPath}": missing value`);
  return { parent: cur, key: path[path.length - 1]! };
}

function getAt(doc: unknown, p: string, op: string): unknown {
  let cur = doc;
  for (const seg of pointer(p)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else cur = undefined;
    if (cur === undefined)
      throw new Error(`${op} operation does not apply: doc is missing path: "${p}": missing value`);
  }
  return cur;
}

function removeAt(doc: unknown, p: string, op: string): unknown {
  const path = pointer(p);
  const { parent, key } = parentOf(doc, path, op, p);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length))
      throw new Error(`${op} operation does not apply: doc is missing path: "${p}": missing value`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent))
    throw new Error(`${op} operation does not apply: doc is missing path: "${p}": missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, p: string, value: unknown, replace: boolean, op: string): unknown {
  const path = pointer(p);
  if (path.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, path, op, p);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length) || (replace && i >= parent.length)) {
      throw new Error(`${op} operation does not apply: doc is missing path: "${p}": missing value`);
    }
    if (replace) parent[i] = clone(value);
    else parent.splice(i, 0, clone(value));
  } else {
    if (replace && !(key in parent))
      throw new Error(`${op} operation does not apply: doc is missing key: ${p}: missing value`);
    parent[key] = clone(value);
  }
  return doc;
}

function applyOp(doc: unknown, op: Op): unknown {
  switch (op.op) {
    case 'add':
      return addAt(doc, op.path, op.value, false, 'add');
    case 'replace':
      return addAt(doc, op.path, op.value, true, 'replace');
    case 'remove':
      removeAt(doc, op.path, 'remove');
      return doc;
    case 'move': {
      const v = removeAt(doc, op.from ?? '', 'move');
      return addAt(doc, op.path, v, false, 'move');
    }
    case 'copy':
      return addAt(doc, op.path, getAt(doc, op.from ?? '', 'copy'), false, 'copy');
    case 'test':
      if (!deepEqual(getAt(doc, op.path, 'test'), op.value))
        throw new Error(`testing value ${op.path} failed: test failed`);
      return doc;
    default:
      throw new Error(`Unexpected kind: ${op.op}`);
  }
}

/**
 * Strategic merge patch for built-in kinds: like a merge patch, except lists whose schema says
 * `x-kubernetes-patch-strategy: merge` merge item by item on their `x-kubernetes-patch-merge-key`
 * (containers by name, ports by containerPort). Supports the `$patch: delete|replace` directives
 * and ignores `$setElementOrder` / `$retainKeys` (kubectl sends them; order is kept as stored).
 */
export function strategicMergePatch(target: unknown, patch: unknown, view: SchemaView | undefined): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _drop, ...rest } = patch;
    return clone(rest);
  }
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k === '$patch') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v))
        out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const sub = view?.prop(k);
    if (Array.isArray(v) && sub && sub.kind === 'list' && sub.patchStrategy.includes('merge')) {
      out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, sub);
    } else if (isObj(v) && isObj(out[k])) {
      if (v.$patch === 'delete') delete out[k];
      else out[k] = strategicMergePatch(out[k], v, sub);
    } else {
      out[k] = strategicMergePatch(undefined, v, sub);
    }
  }
  return out;
}

function mergeList(live: unknown[], patch: unknown[], view: SchemaView): unknown[] {
  const key = view.patchMergeKey;
  const items = view.items();
  if (!key) {
    // A list of scalars with strategy merge is a set union.
    const out = clone(live);
    for (const p of patch) if (!out.some((x) => deepEqual(x, p))) out.push(clone(p));
    return out;
  }
  const out = clone(live);
  for (const p of patch) {
    if (!isObj(p)) continue;
    const i = out.findIndex((x) => isObj(x) && deepEqual(x[key], p[key]));
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], p, items);
    else out.push(strategicMergePatch(undefined, p, items));
  }
  return out;
}
