import { badRequest } from './errors.js';
import type { KObject } from './util.js';

type Req = { key: string; op: 'in' | 'notin' | 'exists' | '!exists' | '=' | '!='; values: string[] };

export type LabelSelector = (labels: Record<string, string> | undefined) => boolean;

/** The label selector grammar of apimachinery `labels.Parse`: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text || !text.trim()) return () => true;
  const reqs: Req[] = [];
  for (const part of splitTopLevel(text)) {
    const s = part.trim();
    if (!s) continue;
    let m: RegExpMatchArray | null;
    if ((m = s.match(/^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      reqs.push({
        key: m[1]!,
        op: m[2] as 'in' | 'notin',
        values: m[3]!
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      });
    } else if ((m = s.match(/^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/))) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!] });
    } else if ((m = s.match(/^!\s*([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: '!exists', values: [] });
    } else if ((m = s.match(/^([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: 'exists', values: [] });
    } else {
      throw badRequest(`unable to parse requirement: found '${s}', expected: valid label selector`);
    }
  }
  return (labels) => reqs.every((r) => matchReq(r, labels ?? {}));
}

function matchReq(r: Req, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
      return has && v === r.values[0];
    case '!=':
      return !has || v !== r.values[0];
    case 'in':
      return has && r.values.includes(v!);
    case 'notin':
      return !has || !r.values.includes(v!);
  }
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export type FieldSelector = (obj: KObject) => boolean;

/** Fields the apiserver lets you select on for the kinds served here; anything else is a 400 as upstream. */
const FIELD_GETTERS: Record<string, (o: KObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

/** The core Event's selectable fields, read from a stored (core/v1) Event. */
const involved = (f: string) => (o: KObject) => fieldText((o.involvedObject as Record<string, unknown>)?.[f]);
const EVENT_REF_FIELDS = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];
const eventSource = (o: KObject) => fieldText((o.source as Record<string, unknown> | undefined)?.component);

/** By resource (`events.events.k8s.io`): the fields each kind can also be selected on. */
const KIND_FIELDS: Record<string, Record<string, (o: KObject) => string | undefined>> = {
  pods: {
    'status.phase': (o) => (o.status as { phase?: string } | undefined)?.phase ?? '',
    'spec.nodeName': (o) => (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '',
  },
  secrets: { type: (o) => (typeof o.type === 'string' ? o.type : '') },
  // The core Event field labels (pkg/apis/core/v1 conversion: AddFieldLabelConversionFuncForEvent).
  events: {
    ...Object.fromEntries(EVENT_REF_FIELDS.map((f) => [`involvedObject.${f}`, involved(f)])),
    reason: (o) => fieldText(o.reason),
    reportingComponent: (o) => fieldText(o.reportingComponent),
    source: eventSource,
    type: (o) => fieldText(o.type),
  },
  // events.k8s.io/v1's names for them (pkg/apis/events/v1 AddFieldLabelConversionsForEvent), on the same storage.
  'events.events.k8s.io': {
    ...Object.fromEntries(EVENT_REF_FIELDS.map((f) => [`regarding.${f}`, involved(f)])),
    reason: (o) => fieldText(o.reason),
    reportingController: (o) => fieldText(o.reportingComponent),
    source: eventSource,
    type: (o) => fieldText(o.type),
  },
};

function fieldText(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A field selector for the resource of that resourceKey (`pods`, `events.events.k8s.io`). */
export function parseFieldSelector(text: string | undefined, resource: string): FieldSelector {
  if (!text || !text.trim()) return () => true;
  const tests: Array<(o: KObject) => boolean> = [];
  for (const part of text.split(',')) {
    const m = part.trim().match(/^([^!=]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    const get = FIELD_GETTERS[field] ?? KIND_FIELDS[resource]?.[field];
    if (!get) throw badRequest(`field label not supported: ${field}`);
    tests.push(op === '!=' ? (o) => get(o) !== value : (o) => get(o) === value);
  }
  return (o) => tests.every((t) => t(o));
}
