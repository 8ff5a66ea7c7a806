import { isObj } from './util.js';

/**
 * The JSONPath subset CRD printer columns use (k8s.io/client-go/util/jsonpath, which the
 * apiserver runs with missing keys allowed): `.field`, `['field']`, `[n]` (negative counts from
 * the end), `[start:end]`, `[*]` / `.*`, and `[?(@.path == "value")]` filters with == != < <= > >=
 * or a bare `@.path` for presence. Recursive descent (`..`) and unions are not supported.
 */
type Step =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number }
  | { kind: 'filter'; path: Step[]; op?: string; value?: unknown };

export class JsonPathError extends Error {}

export function parseJsonPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  if (s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      if (s[i + 1] === '.') throw new JsonPathError(`unsupported recursive descent in ${expr}`);
      if (s[i + 1] === '*') {
        steps.push({ kind: 'wildcard' });
        i += 2;
        continue;
      }
      let j = i + 1;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      const name = s.slice(i + 1, j);
      if (name) steps.push({ kind: 'field', name });
      i = j;
    } else if (c === '[') {
      const close = closingBracket(s, i);
      steps.push(bracketStep(s.slice(i + 1, close).trim(), expr));
      i = close + 1;
    } else {
      // A path without a leading dot (`spec.host`) reads as if it had one.
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      steps.push({ kind: 'field', name: s.slice(i, j) });
      i = j;
    }
  }
  return steps;
}

function closingBracket(s: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0 && c === ']') return i;
    }
  }
  throw new JsonPathError(`unclosed bracket in ${s}`);
}

function bracketStep(inner: string, expr: string): Step {
  if (inner === '*') return { kind: 'wildcard' };
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  if (quoted) return { kind: 'field', name: quoted[2]! };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const slice = /^(-?\d*):(-?\d*)$/.exec(inner);
  if (slice) {
    return {
      kind: 'slice',
      start: slice[1] ? Number(slice[1]) : undefined,
      end: slice[2] ? Number(slice[2]) : undefined,
    };
  }
  const filter = /^\?\((.*)\)$/.exec(inner);
  if (filter) {
    const m = /^(@[^=!<>\s]*)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(filter[1]!.trim());
    if (!m) return { kind: 'filter', path: parseJsonPath(filter[1]!.trim()) };
    return { kind: 'filter', path: parseJsonPath(m[1]!), op: m[2], value: literal(m[3]!.trim(), expr) };
  }
  throw new JsonPathError(`unsupported JSONPath element [${inner}] in ${expr}`);
}

function literal(text: string, expr: string): unknown {
  const quoted = /^(['"])(.*)\1$/.exec(text);
  if (quoted) return quoted[2];
  if (text === 'true' || text === 'false') return text === 'true';
  if (text !== '' && Number.isFinite(Number(text))) return Number(text);
  throw new JsonPathError(`unsupported filter value ${text} in ${expr}`);
}

function apply(values: unknown[], step: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    switch (step.kind) {
      case 'field':
        if (isObj(v) && step.name in v) out.push(v[step.name]);
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...(v as unknown[]));
        else if (isObj(v)) for (const k of Object.keys(v).sort()) out.push(v[k]);
        break;
      case 'index':
        if (Array.isArray(v)) {
          const i = step.index < 0 ? v.length + step.index : step.index;
          if (i >= 0 && i < v.length) out.push(v[i]);
        }
        break;
      case 'slice':
        if (Array.isArray(v)) out.push(...(v.slice(step.start, step.end) as unknown[]));
        break;
      case 'filter':
        if (Array.isArray(v)) for (const item of v as unknown[]) if (passes(item, step)) out.push(item);
        break;
    }
  }
  return out;
}

function passes(item: unknown, f: Extract<Step, { kind: 'filter' }>): boolean {
  const found = f.path.reduce<unknown[]>(apply, [item]);
  if (f.op === undefined) return found.length > 0;
  return found.some((x) => {
    switch (f.op) {
      case '==':
        return x === f.value;
      case '!=':
        return x !== f.value;
      default: {
        if (typeof x !== 'number' || typeof f.value !== 'number') return false;
        if (f.op === '<') return x < f.value;
        if (f.op === '<=') return x <= f.value;
        if (f.op === '>') return x > f.value;
        return x >= f.value;
      }
    }
  });
}

/** Every value `expr` selects in `root`, in document order; none when a key is missing. */
export function jsonPathMatches(root: unknown, expr: string): unknown[] {
  return parseJsonPath(expr).reduce<unknown[]>(apply, [root]);
}
