import { badRequest, invalid, StatusError, type Cause } from './errors.js';
import type { ResourceType } from './registry.js';
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isPathSegmentName,
  isQualifiedName,
  isValidLabelValue,
  TOTAL_ANNOTATION_SIZE_LIMIT,
} from './names.js';
import { schemaProblems, type SchemaProblem } from './schema.js';
import { deepEqual, isObj, type KObject, type Obj } from './util.js';

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** A value as Go's %#v would show it in an Invalid message, close enough for humans and tests. */
function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? 'null');
}

function nameCauses(rt: ResourceType, name: string | undefined): Cause[] {
  if (!name)
    return [
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ];
  // Services need DNS-1035 labels, Namespaces DNS-1123 labels; everything else a DNS-1123 subdomain.
  // RBAC objects only need to be path segments (ValidateRBACName): `system:discovery` is a name.
  const rule =
    rt.group === '' && rt.kind === 'Service'
      ? isDns1035Label
      : rt.group === '' && rt.kind === 'Namespace'
        ? isDns1123Label
        : rt.group === 'rbac.authorization.k8s.io'
          ? isPathSegmentName
          : isDns1123Subdomain;
  return invalidEach('metadata.name', name, rule(name));
}

function invalidEach(field: string, value: unknown, messages: string[]): Cause[] {
  return messages.map((m) => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${show(value)}: ${m}`,
    field,
  }));
}

/** ValidateLabels: each key a qualified name, each value a label value. */
function labelCauses(labels: unknown, field: string): Cause[] {
  if (!isObj(labels)) return [];
  return Object.entries(labels).flatMap(([k, v]) => [
    ...invalidEach(field, k, isQualifiedName(k)),
    ...(typeof v === 'string' ? invalidEach(field, v, isValidLabelValue(v)) : []),
  ]);
}

/** ValidateAnnotations: keys are qualified names (case aside), and all of it at most 256 KiB. */
function annotationCauses(annotations: unknown, field: string): Cause[] {
  if (!isObj(annotations)) return [];
  const out = Object.keys(annotations).flatMap((k) =>
    invalidEach(field, k, isQualifiedName(k.toLowerCase())),
  );
  let size = 0;
  for (const [k, v] of Object.entries(annotations))
    size += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
    out.push({
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`,
      field,
    });
  }
  return out;
}

/** ValidateObjectMeta's label and annotation checks, for the object and (Deployments, ReplicaSets) its pod template. */
function metadataCauses(rt: ResourceType, obj: KObject): Cause[] {
  const out = [
    ...labelCauses(obj.metadata.labels, 'metadata.labels'),
    ...annotationCauses(obj.metadata.annotations, 'metadata.annotations'),
  ];
  const spec = isObj(obj.spec) ? obj.spec : {};
  if (rt.group === 'apps' && (rt.kind === 'Deployment' || rt.kind === 'ReplicaSet')) {
    out.push(...labelCauses(getObj(spec, 'selector', 'matchLabels'), 'spec.selector.matchLabels'));
    out.push(...labelCauses(getObj(spec, 'template', 'metadata', 'labels'), 'spec.template.metadata.labels'));
    out.push(
      ...annotationCauses(
        getObj(spec, 'template', 'metadata', 'annotations'),
        'spec.template.metadata.annotations',
      ),
    );
  }
  if (rt.group === '' && rt.kind === 'Service') out.push(...labelCauses(spec.selector, 'spec.selector'));
  return out;
}

function schemaCause(rt: ResourceType, p: SchemaProblem): Cause {
  switch (p.keyword) {
    case 'required':
      return { reason: 'FieldValueRequired', message: 'Required value', field: p.field };
    case 'enum':
      return {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${show(p.value)}: supported values: ${p.expected}`,
        field: p.field,
      };
    case 'type':
      // CRD validation words type errors like this (kube-openapi); built-ins never reach here.
      return {
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${JSON.stringify(goType(p.value))}: ${p.field} in body must be of type ${p.expected}: ${show(p.value)}`,
        field: p.field,
      };
    default:
      return {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(p.value)}: ${p.message}`,
        field: p.field,
      };
  }
}

/**
 * Validates a complete object about to be stored. Built-in kinds decode into Go structs first, so a
 * wrong type there is a 400 decode error; custom resources are checked by their CRD schema (422).
 */
export function validateObject(
  rt: ResourceType,
  obj: KObject,
  old: KObject | undefined,
  version: string,
): void {
  // JSON null means "unset" to Go decoding (and `creationTimestamp: null` is what the server itself prints).
  const problems = schemaProblems(rt, withoutNulls(obj));
  if (!rt.custom) {
    const typeErr = problems.find((p) => p.keyword === 'type');
    if (typeErr) {
      throw badRequest(
        `${rt.kind} in version "${version}" cannot be handled as a ${rt.kind}: json: cannot unmarshal ${goType(typeErr.value)} into Go struct field .${typeErr.field} of type ${typeErr.expected}`,
      );
    }
  }
  const causes: Cause[] = [
    ...nameCauses(rt, obj.metadata.name),
    ...metadataCauses(rt, obj),
    ...problems.map((p) => schemaCause(rt, p)),
  ];
  causes.push(...semanticCauses(rt, obj, old));
  if (causes.length) throw invalid(rt, obj.metadata.name ?? '', causes);
}

function semanticCauses(rt: ResourceType, obj: KObject, old: KObject | undefined): Cause[] {
  const out: Cause[] = [];
  const spec = isObj(obj.spec) ? obj.spec : {};
  if (rt.group === 'apps' && (rt.kind === 'Deployment' || rt.kind === 'ReplicaSet')) {
    const selector = isObj(spec.selector) ? spec.selector : undefined;
    const labels = (getObj(spec, 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
    const ml = (selector && isObj(selector.matchLabels) ? selector.matchLabels : {}) as Record<
      string,
      string
    >;
    if (selector && !Object.entries(ml).every(([k, v]) => labels[k] === v)) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
        field: 'spec.template.metadata.labels',
      });
    }
    if (
      selector &&
      Object.keys(ml).length === 0 &&
      !(Array.isArray(selector.matchExpressions) && selector.matchExpressions.length)
    ) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(selector)}: empty selector is invalid for deployment`,
        field: 'spec.selector',
      });
    }
    const oldSel = old && isObj(old.spec) ? old.spec.selector : undefined;
    if (old && oldSel !== undefined && !deepEqual(oldSel, spec.selector)) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(spec.selector)}: field is immutable`,
        field: 'spec.selector',
      });
    }
    if (typeof spec.replicas === 'number' && spec.replicas < 0) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
        field: 'spec.replicas',
      });
    }
    const containers = getObj(spec, 'template', 'spec', 'containers');
    if (Array.isArray(containers) && containers.length === 0) {
      out.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers',
      });
    }
  }
  if (rt.group === '' && rt.kind === 'ConfigMap') {
    // etcd's object limit: a ConfigMap's data may hold at most 1 MiB.
    let size = 0;
    for (const f of ['data', 'binaryData']) {
      const d = (obj as Obj)[f];
      if (isObj(d)) for (const [k, v] of Object.entries(d)) size += k.length + String(v).length;
    }
    if (size > 1024 * 1024) {
      out.push({
        reason: 'FieldValueTooLong',
        message: `Too long: may not be more than 1048576 bytes`,
        field: '',
      });
    }
  }
  if (rt.group === '' && rt.kind === 'Service' && old && isObj(old.spec)) {
    const oldIp = old.spec.clusterIP;
    if (oldIp && spec.clusterIP && oldIp !== spec.clusterIP) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(spec.clusterIP)}: field is immutable`,
        field: 'spec.clusterIPs[0]',
      });
    }
  }
  return out;
}

function getObj(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function strictDecodingError(rt: ResourceType, version: string, fields: string[]): StatusError {
  const list = fields.map((f) => `unknown field "${f}"`).join(', ');
  return badRequest(
    `${rt.kind} in version "${version}" cannot be handled as a ${rt.kind}: strict decoding error: ${list}`,
  );
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
    return out;
  }
  return v;
}
