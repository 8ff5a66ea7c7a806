import { randomBytes } from 'node:crypto';
import { systemClock, type Clock as OneClock } from '../clock.js';

/** A JSON object as it travels through the sandbox: objects are plain data, never class instances. */
export type Obj = Record<string, unknown>;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [k: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
  subresource?: string;
}

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A decoded JSON/YAML value as message text: scalars exactly as `String()` shows them, objects and
 * arrays as JSON rather than `[object Object]`.
 */
export function asText(v: unknown): string {
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Kubernetes timestamps are RFC 3339 with second precision; client-node parses them into Dates. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What the sandbox takes from the one clock (src/clock.ts): the time and timers, so tests can drive time. */
export type Clock = Pick<OneClock, 'now' | 'setTimeout' | 'clearTimeout'>;
export const realClock: Clock = systemClock;

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';

/** The alphabet and length client-go uses for generateName suffixes (no vowels, no ambiguous characters). */
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

export function uuid(): string {
  return globalThis.crypto.randomUUID();
}

export function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function meta(obj: KObject): ObjectMeta {
  return obj.metadata;
}

/** Query flags decode like apimachinery's Convert_Slice_string_To_bool: only "", "0" and "false" are false. */
export function truthy(v: string | null): boolean {
  return v !== null && v !== '' && !/^(0|false)$/i.test(v);
}
