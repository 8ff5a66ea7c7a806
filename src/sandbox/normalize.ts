import { canonicalQuantity, QuantityError } from '../quantity.js';
import { badRequest } from './errors.js';
import { OMITEMPTY } from './omitempty.js';
import type { ResourceType } from './registry.js';
import { component } from './schema.js';
import { isObj, type KObject, type Obj } from './util.js';

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

function refOf(node: Obj): string | undefined {
  const ref =
    typeof node.$ref === 'string'
      ? node.$ref
      : Array.isArray(node.allOf) && isObj(node.allOf[0]) && typeof node.allOf[0].$ref === 'string'
        ? node.allOf[0].$ref
        : undefined;
  return ref?.slice(ref.lastIndexOf('/') + 1);
}

/** The zero value of a Go field as JSON: what `omitempty` leaves out. */
export function isZero(v: unknown): boolean {
  return (
    v === null ||
    v === '' ||
    v === 0 ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (isObj(v) && Object.keys(v).length === 0)
  );
}

/**
 * What a built-in object is once the apiserver has decoded it into its Go struct and encoded it
 * again: every resource.Quantity in canonical form (`0.5` -> `500m`, `1024Mi` -> `1Gi`), and each
 * `omitempty` value field that holds its zero value left out (an env var's `value: ""`, an empty
 * `args: []`). Custom resources are stored as sent. A quantity that does not parse is the decode
 * error a real server answers (400).
 */
export function normalizeBuiltin(rt: ResourceType, obj: KObject, version: string): void {
  if (rt.custom || rt.schema.type !== 'component') return;
  try {
    walkStruct(obj, rt.schema.name);
  } catch (e) {
    if (e instanceof QuantityError)
      throw badRequest(`${rt.kind} in version "${version}" cannot be handled as a ${rt.kind}: ${e.message}`);
    throw e;
  }
}

function walkStruct(value: Obj, name: string): void {
  const node = component(name);
  if (!node) return;
  const drop = OMITEMPTY[name] ?? [];
  const props = isObj(node.properties) ? node.properties : {};
  for (const [key, v] of Object.entries(value)) {
    if (drop.includes(key) && isZero(v)) {
      delete value[key];
      continue;
    }
    const p = props[key];
    if (isObj(p)) value[key] = walkValue(v, p);
  }
}

function walkValue(v: unknown, node: Obj): unknown {
  const ref = refOf(node);
  if (ref === QUANTITY) return typeof v === 'string' || typeof v === 'number' ? canonicalQuantity(v) : v;
  if (ref) {
    if (isObj(v)) walkStruct(v, ref);
    return v;
  }
  if (Array.isArray(v) && isObj(node.items)) {
    const items = node.items;
    return v.map((x) => walkValue(x, items));
  }
  if (isObj(v) && isObj(node.additionalProperties)) {
    const inner = node.additionalProperties;
    for (const [k, x] of Object.entries(v)) v[k] = walkValue(x, inner);
  }
  return v;
}
