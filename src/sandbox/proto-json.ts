/**
 * A decoded protobuf message as the JSON a client would have sent for the same object: what Go's
 * encoding/json makes of the struct go-to-protobuf's Unmarshal fills. The .proto field names are
 * the JSON names except for the structs Go embeds inline; apimachinery's own types (Time,
 * MicroTime, Quantity, IntOrString, RawExtension, FieldsV1) have their own JSON forms; `bytes` are
 * base64, int64s numbers, map keys sorted. Only fields on the wire appear, less the `omitempty`
 * value fields at their zero value: Go's marshalling writes every value field ("", 0, false), a
 * JSON client leaves those out, and so must this.
 */
import type { Field, Message, Type } from 'protobufjs';
import { isZero } from './normalize.js';
import { OMITEMPTY } from './omitempty.js';
import { badRequest } from './errors.js';
import type { Obj } from './util.js';

type Fields = Record<string, unknown>;

const META = '.k8s.io.apimachinery.pkg.apis.meta.v1';

/** Types with a MarshalJSON of their own: the JSON value for a decoded message of each. */
const SPECIAL: Record<string, (m: Fields) => unknown> = {
  [`${META}.Time`]: (m) => time(m, false),
  [`${META}.MicroTime`]: (m) => time(m, true),
  [`${META}.FieldsV1`]: (m) => rawJson(m.Raw),
  '.k8s.io.apimachinery.pkg.runtime.RawExtension': (m) => rawJson(m.raw),
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': (m) => m.string ?? '',
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': (m) =>
    toNumber(m.type) === 1 ? (m.strVal ?? '') : (m.intVal ?? 0),
};

/** The fields core/v1 types.go embeds with `json:",inline"`: their JSON fields are the parent's. */
const INLINE = new Set(
  [
    'ConfigMapEnvSource.localObjectReference',
    'ConfigMapKeySelector.localObjectReference',
    'ConfigMapProjection.localObjectReference',
    'ConfigMapVolumeSource.localObjectReference',
    'EphemeralContainer.ephemeralContainerCommon',
    'PersistentVolumeSpec.persistentVolumeSource',
    'Probe.handler',
    'SecretEnvSource.localObjectReference',
    'SecretKeySelector.localObjectReference',
    'SecretProjection.localObjectReference',
    'Volume.volumeSource',
  ].map((f) => `.k8s.io.api.core.v1.${f}`),
);

/**
 * The `omitempty` scalar value fields OMITEMPTY does not list: those of rbac/v1 and
 * authorization/v1 types.go (kubernetes/api v0.32.4; OMITEMPTY covers core, apps and meta only)
 * and the `types.UID` ones, which scripts/gen-omitempty.mjs does not see as strings. Slices and
 * maps need no entry: empty ones never reach the wire.
 */
const MORE_OMITEMPTY: Record<string, readonly string[]> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': ['uid'],
  'io.k8s.api.core.v1.ObjectReference': ['uid'],
  'io.k8s.api.rbac.v1.Subject': ['apiGroup', 'namespace'],
  'io.k8s.api.authorization.v1.ResourceAttributes': [
    'namespace',
    'verb',
    'group',
    'version',
    'resource',
    'subresource',
    'name',
  ],
  'io.k8s.api.authorization.v1.NonResourceAttributes': ['path', 'verb'],
  'io.k8s.api.authorization.v1.FieldSelectorAttributes': ['rawSelector'],
  'io.k8s.api.authorization.v1.LabelSelectorAttributes': ['rawSelector'],
  'io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec': ['namespace'],
  'io.k8s.api.authorization.v1.SubjectAccessReviewStatus': ['denied', 'reason', 'evaluationError'],
  'io.k8s.api.authorization.v1.SubjectRulesReviewStatus': ['evaluationError'],
};

/** `.k8s.io.api.core.v1.Pod` -> `io.k8s.api.core.v1.Pod`, the type's OpenAPI component name. */
function componentName(type: Type): string {
  return `io.k8s.${type.fullName.slice('.k8s.io.'.length)}`;
}

/** The JSON object of a decoded message of `type`. */
export function messageJson(type: Type, message: Message | Fields): Obj {
  const m = message as Fields;
  const name = componentName(type);
  const omitempty = [...(OMITEMPTY[name] ?? []), ...(MORE_OMITEMPTY[name] ?? [])];
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    const v = m[field.name];
    let value: unknown;
    if (field.map) {
      const entries = Object.entries(v as Fields);
      if (!entries.length) continue;
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      value = Object.fromEntries(entries.map(([k, x]) => [k, fieldValue(field, x)]));
    } else if (field.repeated) {
      if (!(v as unknown[]).length) continue;
      value = (v as unknown[]).map((x) => fieldValue(field, x));
    } else if (Object.prototype.hasOwnProperty.call(m, field.name)) {
      value = fieldValue(field, v);
    } else continue;
    if (INLINE.has(`${type.fullName}.${field.name}`)) Object.assign(out, value);
    else if (!(omitempty.includes(field.name) && isZero(value))) out[field.name] = value;
  }
  return out;
}

function fieldValue(field: Field, v: unknown): unknown {
  const t = field.resolvedType;
  if (t && 'fieldsArray' in t) {
    const special = SPECIAL[t.fullName];
    return special ? special(v as Fields) : messageJson(t, v as Fields);
  }
  if (field.bytes) return Buffer.from(v as Uint8Array).toString('base64');
  if (field.long) return toNumber(v);
  return v;
}

/** An int64 as protobufjs decodes it (a Long, or a number) as a number. */
function toNumber(v: unknown): number {
  if (typeof v === 'object' && v !== null && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/**
 * metav1.Time (RFC 3339 in seconds) or MicroTime (in microseconds), UTC. An empty message is
 * Go's zero time, which marshals as null.
 */
function time(m: Fields, micro: boolean): string | null {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(m, k);
  if (!has('seconds') && !has('nanos')) return null;
  const seconds = toNumber(m.seconds);
  const stamp = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (!micro) return `${stamp}Z`;
  const micros = Math.floor(Number(m.nanos ?? 0) / 1000);
  return `${stamp}.${String(micros).padStart(6, '0')}Z`;
}

/** RawExtension and FieldsV1 carry their JSON as bytes; none is null. */
function rawJson(raw: unknown): unknown {
  const bytes = raw instanceof Uint8Array ? Buffer.from(raw) : Buffer.alloc(0);
  if (!bytes.length) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw badRequest(`protobuf: an embedded object is not JSON: ${(e as Error).message}`);
  }
}
