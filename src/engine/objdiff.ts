/**
 * What `diff` shows of one object, computed from the object as the cluster holds it and as the
 * server answered the dry run of `up`'s write: both sides without what the server manages (as
 * `kubectl diff` leaves out managedFields), Secret values masked, and the fields that change as
 * JSON-Patch-like operations. Pure.
 */
import type { KubeObject } from '../kube.js';
import { ANNOTATION_APPLIED_HASH } from '../compile/labels.js';

/** Metadata the server sets and a person never wrote. */
const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'selfLink',
];

/** The object without server-managed noise: the metadata above, `status`, vela-ts's hash annotation. */
export function withoutNoise(obj: KubeObject): KubeObject {
  const { status: _status, ...rest } = obj;
  const metadata: Record<string, unknown> = { ...obj.metadata };
  for (const key of SERVER_METADATA) delete metadata[key];
  const annotations = { ...obj.metadata.annotations };
  delete annotations[ANNOTATION_APPLIED_HASH];
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...rest, metadata: metadata as unknown as KubeObject['metadata'] };
}

/**
 * A Secret's values replaced, as `kubectl diff` does: `***` where both sides hold the same value,
 * `*** (before)` and `*** (after)` where it changes, so a diff shows which keys change and never
 * what they hold. Other kinds pass through unchanged.
 */
export function maskSecrets(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): { before: KubeObject | undefined; after: KubeObject | undefined } {
  const isSecret = (o: KubeObject | undefined) => o?.kind === 'Secret';
  if (!isSecret(before) && !isSecret(after)) return { before, after };
  const mask = (o: KubeObject | undefined, other: KubeObject | undefined, side: 'before' | 'after') => {
    if (!o) return o;
    const out: KubeObject = { ...o };
    for (const field of ['data', 'stringData']) {
      const values = o[field] as Record<string, unknown> | undefined;
      if (!values || typeof values !== 'object') continue;
      const theirs = (other?.[field] ?? {}) as Record<string, unknown>;
      out[field] = Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, theirs[k] === v ? '***' : `*** (${side})`]),
      );
    }
    return out;
  };
  return { before: mask(before, after, 'before'), after: mask(after, before, 'after') };
}

/** One change to one field, as in a JSON Patch (RFC 6902), with the value it had. */
export interface FieldChange {
  op: 'add' | 'remove' | 'replace';
  /** A JSON Pointer (RFC 6901): `/spec/replicas`, `/spec/template/spec/containers/0/image`; `` is the whole object. */
  path: string;
  /** The value before (remove, replace). */
  old?: unknown;
  /** The value after (add, replace). */
  value?: unknown;
}

const pointerToken = (key: string | number) => String(key).replaceAll('~', '~0').replaceAll('/', '~1');

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Items of a list that each carry a distinct `name` (containers, ports, env, subsets): matched by
 * name, as strategic merge and server-side apply key them, so a changed image is one field and
 * not the whole container list.
 */
function names(list: unknown[]): string[] | undefined {
  const out: string[] = [];
  for (const item of list) {
    if (!isPlain(item) || typeof item.name !== 'string') return undefined;
    out.push(item.name);
  }
  return new Set(out).size === out.length ? out : undefined;
}

/** The changes that turn `before` into `after`; none when they are equal. */
export function fieldChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ op: 'add', path, value: after }];
  if (after === undefined) return [{ op: 'remove', path, old: before }];
  if (isPlain(before) && isPlain(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => fieldChanges(before[k], after[k], `${path}/${pointerToken(k)}`));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const [old, now] = [names(before), names(after)];
    if (old && now) {
      // Removals at their index in `before`, from the end so each index still holds; then what
      // stays or is added, at its index in `after`.
      const removed = old
        .map((n, i) => ({ n, i }))
        .filter(({ n }) => !now.includes(n))
        .reverse()
        .map(({ i }): FieldChange => ({ op: 'remove', path: `${path}/${i}`, old: before[i] }));
      const kept = now.flatMap((n, i) => {
        const j = old.indexOf(n);
        return j === -1
          ? [{ op: 'add' as const, path: `${path}/${i}`, value: after[i] }]
          : fieldChanges(before[j], after[i], `${path}/${i}`);
      });
      return [...removed, ...kept];
    }
    if (before.length === after.length)
      return before.flatMap((b, i) => fieldChanges(b, after[i], `${path}/${i}`));
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [{ op: 'replace', path, old: before, value: after }];
}

/** `/spec/template/spec/containers/0/image` as people read it: `spec.template.spec.containers[0].image`. */
export function dottedPath(pointer: string): string {
  if (pointer === '') return '(whole object)';
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((out, t) => (/^\d+$/.test(t) ? `${out}[${t}]` : out ? `${out}.${t}` : t), '');
}
