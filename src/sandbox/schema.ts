import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { readSchema } from './paths.js';
import { resourceKey, type ResourceType } from './registry.js';
import { isObj, type Obj } from './util.js';

/** One upstream OpenAPI v3 document, kept as bytes so /openapi/v3 serves it unchanged. */
export interface OpenApiDoc {
  /** `api/v1` or `apis/apps/v1`, the key in the /openapi/v3 root. */
  gv: string;
  bytes: Buffer;
  hash: string;
  parsed: Obj;
}

let docs: OpenApiDoc[] | undefined;
let components: Record<string, Obj> | undefined;

export function openApiDocs(): OpenApiDoc[] {
  if (docs) return docs;
  docs = (
    [
      { gv: 'api/v1', file: 'kubernetes-v1.32/api__v1_openapi.json' },
      { gv: 'apis/apps/v1', file: 'kubernetes-v1.32/apis__apps__v1_openapi.json' },
      {
        gv: 'apis/rbac.authorization.k8s.io/v1',
        file: 'kubernetes-v1.32/apis__rbac.authorization.k8s.io__v1_openapi.json',
      },
      {
        gv: 'apis/authorization.k8s.io/v1',
        file: 'kubernetes-v1.32/apis__authorization.k8s.io__v1_openapi.json',
      },
    ] as const
  ).map(({ gv, file }) => {
    const bytes = readSchema(file);
    // The apiserver publishes a SHA-512 of each document as the cache-busting `hash` query.
    const hash = createHash('sha512').update(bytes).digest('hex').toUpperCase();
    return { gv, bytes, hash, parsed: JSON.parse(bytes.toString('utf8')) as Obj };
  });
  return docs;
}

/** Every schema of the documents by name; they share io.k8s.apimachinery.* and io.k8s.api.core.v1.*. */
function allComponents(): Record<string, Obj> {
  if (components) return components;
  components = {};
  for (const d of openApiDocs()) {
    const schemas = (d.parsed.components as { schemas: Record<string, Obj> }).schemas;
    Object.assign(components, schemas);
  }
  return components;
}

/** One named schema of the Kubernetes documents (`io.k8s.api.core.v1.Container`). */
export function component(name: string): Obj | undefined {
  return allComponents()[name];
}

/**
 * A field's description in the upstream documents: what the apiserver's printers put in a Table's
 * column definitions (Go's SwaggerDoc() carries the same text). Empty when the document lacks it.
 */
export function fieldDescription(component: string, field: string): string {
  const props = allComponents()[component]?.properties;
  const p = isObj(props) ? props[field] : undefined;
  return isObj(p) && typeof p.description === 'string' ? p.description : '';
}

/** Absolute, so inline CRD schemas (with their own $id) can point into the Kubernetes components. */
const K8S_ID = 'https://sandbox.vela-ts.invalid/k8s';
const OBJECT_META_REF =
  'https://sandbox.vela-ts.invalid/k8s#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function lookupRef(ref: string): Obj | undefined {
  const name = ref.slice(ref.lastIndexOf('/') + 1);
  return allComponents()[name];
}

/**
 * A schema node seen through `$ref` / `allOf: [{$ref}]` wrappers, which is how the Kubernetes v3
 * documents nest types. List and patch annotations sit on the wrapper, so they are merged in.
 */
export class SchemaView {
  readonly r: Obj;

  constructor(node: Obj) {
    this.r = resolve(node);
  }

  get kind(): 'struct' | 'map' | 'list' | 'scalar' | 'open' {
    const r = this.r;
    if (r['x-kubernetes-int-or-string']) return 'scalar';
    if (isObj(r.properties)) return 'struct';
    if (isObj(r.additionalProperties)) return 'map';
    if (r.type === 'array') return 'list';
    if (r.type === 'object' || r.additionalProperties === true || r['x-kubernetes-preserve-unknown-fields'])
      return 'open';
    if (r.type === undefined && !r.format) return 'open';
    return 'scalar';
  }

  get preserveUnknown(): boolean {
    return this.r['x-kubernetes-preserve-unknown-fields'] === true;
  }

  prop(name: string): SchemaView | undefined {
    const p = isObj(this.r.properties) ? this.r.properties[name] : undefined;
    if (isObj(p)) return new SchemaView(p);
    if (isObj(this.r.additionalProperties)) return new SchemaView(this.r.additionalProperties);
    return undefined;
  }

  hasProp(name: string): boolean {
    return isObj(this.r.properties) && name in this.r.properties;
  }

  items(): SchemaView | undefined {
    return isObj(this.r.items) ? new SchemaView(this.r.items) : undefined;
  }

  /** SSA list semantics; lists without a type are atomic, as structured-merge-diff treats them. */
  get listType(): 'atomic' | 'set' | 'map' {
    const t = this.r['x-kubernetes-list-type'];
    return t === 'set' || t === 'map' ? t : 'atomic';
  }

  get listMapKeys(): string[] {
    const k = this.r['x-kubernetes-list-map-keys'];
    return Array.isArray(k) ? (k as string[]) : [];
  }

  get patchMergeKey(): string | undefined {
    const k = this.r['x-kubernetes-patch-merge-key'];
    return typeof k === 'string' ? k : undefined;
  }

  get patchStrategy(): string[] {
    const s = this.r['x-kubernetes-patch-strategy'];
    return typeof s === 'string' ? s.split(',') : [];
  }
}

function resolve(node: Obj): Obj {
  let out: Obj = node;
  if (typeof node.$ref === 'string') {
    const { $ref, ...rest } = node;
    out = { ...resolve(lookupRef($ref) ?? {}), ...rest };
  } else if (Array.isArray(node.allOf) && node.allOf.length === 1 && isObj(node.allOf[0])) {
    const { allOf, ...rest } = node;
    out = { ...resolve((allOf as Obj[])[0]!), ...rest };
  }
  return out;
}

/** The schema of a whole object of this kind, with metadata typed as ObjectMeta also for CRDs. */
export function rootSchema(rt: ResourceType): Obj | undefined {
  const s = rt.schema;
  if (s.type === 'none') return undefined;
  if (s.type === 'component') return { $ref: `${K8S_ID}#/components/schemas/${s.name}` };
  const props = isObj(s.schema.properties) ? s.schema.properties : {};
  return {
    ...s.schema,
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: OBJECT_META_REF },
      ...props,
    },
  };
}

export function rootView(rt: ResourceType): SchemaView | undefined {
  const s = rootSchema(rt);
  return s ? new SchemaView(s) : undefined;
}

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function getAjv(): Ajv {
  if (ajv) return ajv;
  // strict:false because the documents carry x-kubernetes-* keywords; formats are Go-side checks.
  ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: K8S_ID, components: { schemas: allComponents() } });
  return ajv;
}

export function validatorFor(rt: ResourceType): ValidateFunction | undefined {
  const key = resourceKey(rt);
  const cached = validators.get(key);
  if (cached) return cached;
  const s = rootSchema(rt);
  if (!s) return undefined;
  const a = getAjv();
  const fn =
    rt.schema.type === 'component'
      ? a.getSchema(String(s.$ref))
      : a.compile({ ...s, $id: `https://sandbox.vela-ts.invalid/crd/${key}` });
  if (!fn) throw new Error(`sandbox: no schema for ${key}`);
  validators.set(key, fn);
  return fn;
}

export interface SchemaProblem {
  /** `spec.template.spec.containers[0].image` */
  field: string;
  keyword: 'type' | 'required' | 'enum' | 'other';
  message: string;
  value: unknown;
  expected?: string;
}

export function fieldPath(instancePath: string): string {
  let out = '';
  for (const seg of instancePath.split('/').slice(1)) {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(s)) out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

function valueAt(obj: unknown, instancePath: string): unknown {
  let cur = obj;
  for (const seg of instancePath.split('/').slice(1)) {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isObj(cur)) cur = cur[s];
    else return undefined;
  }
  return cur;
}

/** Schema errors, de-duplicated: branches of anyOf/oneOf are folded into their parent. */
export function schemaProblems(rt: ResourceType, obj: unknown): SchemaProblem[] {
  const fn = validatorFor(rt);
  if (!fn || fn(obj)) return [];
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of fn.errors ?? []) {
    if (/\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath)) continue;
    let field = fieldPath(e.instancePath);
    let keyword: SchemaProblem['keyword'] = 'other';
    let expected: string | undefined;
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      field = field ? `${field}.${missing}` : missing;
      keyword = 'required';
    } else if (e.keyword === 'type') {
      keyword = 'type';
      expected = String((e.params as { type: string }).type);
    } else if (e.keyword === 'enum') {
      keyword = 'enum';
      expected = ((e.params as { allowedValues: unknown[] }).allowedValues ?? [])
        .map((v) => JSON.stringify(v))
        .join(', ');
    } else if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      keyword = 'type';
      expected = 'integer or string';
    }
    const key = `${field}|${keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      field,
      keyword,
      message: e.message ?? 'invalid',
      value: valueAt(obj, e.instancePath),
      expected,
    });
  }
  return out;
}

/** Paths of fields the schema does not declare (`spec.foo`, `spec.template.spec.containers[0].bar`). */
export function unknownFields(
  value: unknown,
  view: SchemaView | undefined,
  prefix = '',
  out: string[] = [],
): string[] {
  if (!view) return out;
  const k = view.kind;
  if (k === 'struct' && isObj(value)) {
    for (const [key, v] of Object.entries(value)) {
      const p = prefix ? `${prefix}.${key}` : key;
      if (!view.hasProp(key)) {
        if (!view.preserveUnknown) out.push(p);
        continue;
      }
      unknownFields(v, view.prop(key), p, out);
    }
  } else if (k === 'map' && isObj(value)) {
    for (const [key, v] of Object.entries(value))
      unknownFields(v, view.prop(key), prefix ? `${prefix}.${key}` : key, out);
  } else if (k === 'list' && Array.isArray(value)) {
    const items = view.items();
    value.forEach((v, i) => unknownFields(v, items, `${prefix}[${i}]`, out));
  }
  return out;
}

/** Drops undeclared fields, as decoding into Go structs (built-ins) or CRD pruning does. */
export function pruneUnknown(value: unknown, view: SchemaView | undefined): void {
  if (!view) return;
  const k = view.kind;
  if (k === 'struct' && isObj(value)) {
    for (const key of Object.keys(value)) {
      if (!view.hasProp(key)) {
        if (!view.preserveUnknown) delete value[key];
        continue;
      }
      pruneUnknown(value[key], view.prop(key));
    }
  } else if (k === 'map' && isObj(value)) {
    for (const key of Object.keys(value)) pruneUnknown(value[key], view.prop(key));
  } else if (k === 'list' && Array.isArray(value)) {
    const items = view.items();
    for (const v of value) pruneUnknown(v, items);
  }
}
