/**
 * A small combinator kit for validating YAML nodes in place: every check knows the node it looks
 * at, so every problem carries the node's line, column and YAML path. A schema returns the typed
 * value when the node and everything below it are valid, and `undefined` otherwise (after
 * reporting why). Nothing stops at the first problem: siblings are always checked too.
 */
import {
  Scalar,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node,
  type YAMLMap,
} from 'yaml';
import type { Issue } from '../errors.js';
import { indexPath, keyPath, keyText, nodePos, type Pos } from './locate.js';
import { didYouMean } from './suggest.js';

export class Ctx {
  readonly issues: Issue[] = [];
  constructor(
    readonly file: string,
    private readonly lc: LineCounter,
    private readonly doc: Document,
  ) {}

  report(pos: Pos, path: string, message: string): void {
    this.issues.push({ file: this.file, line: pos.line, column: pos.column, path, message });
  }

  pos(node: unknown, fallback: Pos): Pos {
    return nodePos(this.lc, node as Node) ?? fallback;
  }

  /** Follows `*alias` to its anchor; an alias to nothing is reported by the caller as null. */
  resolve(node: unknown): Node | undefined {
    if (isAlias(node)) return node.resolve(this.doc) ?? undefined;
    return (node ?? undefined) as Node | undefined;
  }
}

/** What a check looks at: a node that is present in the file (possibly an explicit null). */
export interface Cursor {
  node: Node;
  path: string;
  /** Where the node is written (for a null value: where its key is). */
  pos: Pos;
  /** Where the entry starts: its key in a mapping, its `-` item in a list. Missing children are reported here. */
  keyPos: Pos;
}

export interface Schema<T> {
  /** Noun phrase for "expected X, got Y", e.g. "an integer". */
  readonly expected: string;
  check(cur: Cursor, ctx: Ctx): T | undefined;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

// ---------------------------------------------------------------------------------------------
// describing what the user wrote

export function isNull(node: Node): boolean {
  return isScalar(node) && node.value === null;
}

export function describe(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
    if (typeof v === 'number') return `${isIntegerScalar(node) ? 'integer' : 'number'} ${sourceOf(node)}`;
    if (typeof v === 'boolean') return `boolean ${String(v)}`;
    return `${typeof v} ${sourceOf(node)}`;
  }
  return 'an unsupported YAML value';
}

function sourceOf(node: Node): string {
  const s = (node as { source?: unknown }).source;
  return typeof s === 'string' && s !== '' ? s : String((node as { value?: unknown }).value);
}

function isIntegerScalar(node: Node): boolean {
  return (
    isScalar(node) &&
    typeof node.value === 'number' &&
    Number.isSafeInteger(node.value) &&
    /^[-+]?[0-9]+$/.test(sourceOf(node))
  );
}

export function typeError(cur: Cursor, ctx: Ctx, expected: string, hint = ''): undefined {
  let quote = '';
  // A number or boolean where a string is wanted is nearly always a missing pair of quotes.
  if (
    expected.includes('string') &&
    isScalar(cur.node) &&
    cur.node.value !== null &&
    typeof cur.node.value !== 'string'
  ) {
    quote = ` (quote it: "${sourceOf(cur.node)}")`;
  }
  ctx.report(cur.pos, cur.path, `expected ${expected}, got ${describe(cur.node)}${quote}${hint}`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// scalars

export interface StringOptions {
  pattern?: RegExp;
  /** What the pattern means, for the message: `must be ${what}`. */
  what?: string;
  maxLength?: number;
  allowEmpty?: boolean;
}

/** Checks a string against its options; shared by values and mapping keys. */
function validString(v: string, at: Pos, path: string, ctx: Ctx, opts: StringOptions): boolean {
  if (v === '' && !opts.allowEmpty) {
    ctx.report(at, path, 'must not be empty');
    return false;
  }
  const tooLong = opts.maxLength !== undefined && v.length > opts.maxLength;
  if ((opts.pattern && !opts.pattern.test(v)) || tooLong) {
    const why = tooLong ? ` is ${v.length} characters long and` : '';
    ctx.report(
      at,
      path,
      `${JSON.stringify(v)}${why} is not valid: must be ${opts.what ?? `matching ${String(opts.pattern)}`}`,
    );
    return false;
  }
  return true;
}

export function string(opts: StringOptions = {}): Schema<string> {
  return {
    expected: 'a string',
    check(cur, ctx) {
      const v = isScalar(cur.node) ? cur.node.value : undefined;
      if (typeof v !== 'string') return typeError(cur, ctx, 'a string');
      return validString(v, cur.pos, cur.path, ctx, opts) ? v : undefined;
    },
  };
}

export function integer(opts: { min?: number; max?: number; why?: string } = {}): Schema<number> {
  const why = opts.why ? ` (${opts.why})` : '';
  const range =
    opts.min !== undefined && opts.max !== undefined
      ? ` between ${opts.min} and ${opts.max}`
      : opts.min !== undefined
        ? ` >= ${opts.min}`
        : opts.max !== undefined
          ? ` <= ${opts.max}`
          : '';
  return {
    expected: 'an integer',
    check(cur, ctx) {
      if (!isIntegerScalar(cur.node)) return typeError(cur, ctx, 'an integer');
      const v = (cur.node as { value: number }).value;
      if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
        ctx.report(cur.pos, cur.path, `${v} is out of range: expected an integer${range}${why}`);
        return undefined;
      }
      return v;
    },
  };
}

/** A finite number, integer or not (thresholds such as 99.5). */
export function number(): Schema<number> {
  return {
    expected: 'a number',
    check(cur, ctx) {
      const v = isScalar(cur.node) ? cur.node.value : undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) return typeError(cur, ctx, 'a number');
      return v;
    },
  };
}

/** One of a closed set of strings, with a suggestion for near misses (`always` -> `Always`). */
export function oneOf<const V extends string>(values: readonly V[], what = 'value'): Schema<V> {
  const list = values.map((v) => JSON.stringify(v)).join(', ');
  return {
    expected: `one of ${list}`,
    check(cur, ctx) {
      const v = isScalar(cur.node) ? cur.node.value : undefined;
      if (typeof v !== 'string') return typeError(cur, ctx, `a string (one of ${list})`);
      if ((values as readonly string[]).includes(v)) return v as V;
      ctx.report(
        cur.pos,
        cur.path,
        // A close match says it all; otherwise the choices are listed.
        `unknown ${what} ${JSON.stringify(v)}${didYouMean(v, values) || `: expected one of ${list}`}`,
      );
      return undefined;
    },
  };
}

/** Escape hatch for values with their own grammar (quantities, batch sizes, durations). */
export function custom<T>(expected: string, check: (cur: Cursor, ctx: Ctx) => T | undefined): Schema<T> {
  return { expected, check };
}

/**
 * Extra rules on a well-formed value (sums, uniqueness); `report` locates by sub-path. A broken
 * rule is reported but the value is still returned: its shape is sound, so the checks that build
 * on it (a step's batchPartition against the rollout's batches) still run and report too.
 */
export function refine<T>(
  schema: Schema<T>,
  rule: (value: T, report: (subPath: string, message: string) => void, cur: Cursor) => void,
  locate: (cur: Cursor, ctx: Ctx, subPath: string) => Pos = (cur) => cur.pos,
): Schema<T> {
  return {
    expected: schema.expected,
    check(cur, ctx) {
      const value = schema.check(cur, ctx);
      if (value === undefined) return undefined;
      rule(
        value,
        (subPath, message) => ctx.report(locate(cur, ctx, subPath), `${cur.path}${subPath}`, message),
        cur,
      );
      return value;
    },
  };
}

/** The position of the node at `sub` (`[1].name`, `.port`) below `cur`, for refine's messages. */
export function locateBelow(cur: Cursor, ctx: Ctx, sub: string): Pos {
  let node: unknown = cur.node;
  let pos = cur.pos;
  for (const m of sub.matchAll(/\[(\d+)\]|\.([^.[]+)/g)) {
    node = ctx.resolve(node);
    let next: unknown;
    if (m[1] !== undefined && isSeq(node)) next = node.items[Number(m[1])];
    else if (m[2] !== undefined && isMap(node))
      next = node.items.find((p) => isPair(p) && keyText(p.key) === m[2])?.value;
    if (next === undefined || next === null) break;
    pos = ctx.pos(next, pos);
    node = next;
  }
  return pos;
}

// ---------------------------------------------------------------------------------------------
// collections

export function listOf<T>(item: Schema<T>, opts: { nonEmpty?: boolean | string } = {}): Schema<T[]> {
  const expected = `a list (of ${item.expected.replace(/^an? /, '')} items)`;
  return {
    expected,
    check(cur, ctx) {
      if (!isSeq(cur.node)) return typeError(cur, ctx, expected);
      if (opts.nonEmpty && cur.node.items.length === 0) {
        ctx.report(
          cur.pos,
          cur.path,
          typeof opts.nonEmpty === 'string' ? opts.nonEmpty : 'must list at least one item',
        );
        return undefined;
      }
      const out: T[] = [];
      let ok = true;
      cur.node.items.forEach((raw, i) => {
        const child = itemCursor(cur, ctx, raw, i);
        const v = item.check(child, ctx);
        if (v === undefined) ok = false;
        else out.push(v);
      });
      return ok ? out : undefined;
    },
  };
}

export function itemCursor(parent: Cursor, ctx: Ctx, raw: unknown, i: number): Cursor {
  const pos = ctx.pos(raw, parent.pos);
  const node = ctx.resolve(raw) ?? nullNode();
  return { node, path: indexPath(parent.path, i), pos, keyPos: pos };
}

/** An alias to nothing or an empty item (`- `) behaves like an explicit null. */
function nullNode(): Node {
  return new Scalar(null);
}

/** Entries of a mapping as cursors, with non-string keys reported. */
export function entries(cur: Cursor, ctx: Ctx): { key: string; keyPos: Pos; cur: Cursor }[] {
  const out: { key: string; keyPos: Pos; cur: Cursor }[] = [];
  for (const pair of (cur.node as YAMLMap).items) {
    if (!isPair(pair)) continue;
    const keyPos = ctx.pos(pair.key, cur.pos);
    const key = keyText(pair.key);
    if (key === undefined) {
      ctx.report(keyPos, cur.path, 'mapping keys must be plain strings');
      continue;
    }
    if (key === '<<') {
      ctx.report(keyPos, keyPath(cur.path, key), 'merge keys (<<) are not supported; write the fields out');
      continue;
    }
    const resolved = ctx.resolve(pair.value);
    const node = resolved ?? nullNode();
    const valuePos = resolved && !isNull(resolved) ? ctx.pos(pair.value, keyPos) : keyPos;
    out.push({ key, keyPos, cur: { node, path: keyPath(cur.path, key), pos: valuePos, keyPos } });
  }
  return out;
}

/** String keys to string values: labels, annotations. */
export function stringMap(
  opts: { key?: StringOptions; value?: StringOptions } = {},
): Schema<Record<string, string>> {
  const valueSchema = string({ allowEmpty: true, ...opts.value });
  return {
    expected: 'a mapping of strings',
    check(cur, ctx) {
      if (!isMap(cur.node)) return typeError(cur, ctx, 'a mapping of strings to strings');
      const out: Record<string, string> = {};
      let ok = true;
      for (const e of entries(cur, ctx)) {
        const keyOk = validString(e.key, e.keyPos, e.cur.path, ctx, opts.key ?? {});
        const v = valueSchema.check(e.cur, ctx);
        if (!keyOk || v === undefined) ok = false;
        else out[e.key] = v;
      }
      return ok ? out : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// objects

export interface Field<T, R extends boolean> {
  readonly schema: Schema<T>;
  readonly required: R;
}
export const req = <T>(schema: Schema<T>): Field<T, true> => ({ schema, required: true });
export const opt = <T>(schema: Schema<T>): Field<T, false> => ({ schema, required: false });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Shape = Record<string, Field<any, boolean>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in keyof S as S[K]['required'] extends true ? K : never]: Infer<S[K]['schema']> } & {
    [K in keyof S as S[K]['required'] extends true ? never : K]?: Infer<S[K]['schema']>;
  }
>;

export interface ObjectSchema<T> extends Schema<T> {
  readonly fields: readonly string[];
  readonly hasRequired: boolean;
  /** Checks an absent value: fine (`{}`) unless a field is required. */
  checkAbsent(path: string, at: Pos, ctx: Ctx): T | undefined;
}

export interface ObjectOptions {
  /** Fields accepted and dropped without a word (server-populated metadata). */
  ignore?: readonly string[];
  /** Exactly one of these fields must be given. */
  exactlyOne?: readonly string[];
  /** At most one of these fields may be given. */
  atMostOne?: readonly string[];
  /** Name for messages: `unknown field "x" in ${what}`. */
  what?: string;
}

export function object<S extends Shape>(shape: S, opts: ObjectOptions = {}): ObjectSchema<ObjectOf<S>> {
  const fields = Object.keys(shape);
  const hasRequired = fields.some((f) => shape[f]?.required);
  const missing = (path: string, at: Pos, ctx: Ctx, f: string): void => {
    ctx.report(at, keyPath(path, f), `missing required field "${f}"`);
  };
  return {
    expected: 'a mapping',
    fields,
    hasRequired,
    checkAbsent(path, at, ctx) {
      if (!hasRequired) return {} as ObjectOf<S>;
      for (const f of fields) if (shape[f]?.required) missing(path, at, ctx, f);
      return undefined;
    },
    check(cur, ctx) {
      if (isNull(cur.node)) return this.checkAbsent(cur.path, cur.keyPos, ctx);
      if (!isMap(cur.node)) return typeError(cur, ctx, 'a mapping');
      const out: Record<string, unknown> = {};
      const seen = new Map<string, Pos>();
      let ok = true;
      for (const e of entries(cur, ctx)) {
        const field = shape[e.key];
        if (!field) {
          if (opts.ignore?.includes(e.key)) continue;
          const where = opts.what ? ` in ${opts.what}` : '';
          ctx.report(e.keyPos, e.cur.path, `unknown field "${e.key}"${where}${didYouMean(e.key, fields)}`);
          ok = false;
          continue;
        }
        // An explicit null (`port:` or `port: ~`) reads as "not set", as kubectl treats it.
        if (isNull(e.cur.node)) {
          if (field.required) {
            ctx.report(e.keyPos, e.cur.path, `required field "${e.key}" has no value`);
            ok = false;
          }
          continue;
        }
        seen.set(e.key, e.keyPos);
        const v: unknown = field.schema.check(e.cur, ctx);
        if (v === undefined) ok = false;
        else out[e.key] = v;
      }
      for (const f of fields) {
        if (
          shape[f]?.required &&
          !seen.has(f) &&
          !cur.node.items.some((p) => isPair(p) && keyText(p.key) === f)
        ) {
          missing(cur.path, cur.keyPos, ctx, f);
          ok = false;
        }
      }
      const given = (group: readonly string[]) => group.filter((f) => seen.has(f));
      if (opts.exactlyOne) {
        const g = given(opts.exactlyOne);
        const names = opts.exactlyOne.map((f) => `"${f}"`).join(', ');
        if (g.length !== 1) {
          const extra = g.length > 1 ? `, got ${g.map((f) => `"${f}"`).join(' and ')}` : '';
          ctx.report(
            g.length > 1 ? (seen.get(g[1] as string) ?? cur.keyPos) : cur.keyPos,
            cur.path,
            `expected exactly one of ${names}${extra}`,
          );
          ok = false;
        }
      }
      if (opts.atMostOne) {
        const g = given(opts.atMostOne);
        if (g.length > 1) {
          ctx.report(
            seen.get(g[1] as string) ?? cur.keyPos,
            cur.path,
            `${g.map((f) => `"${f}"`).join(' and ')} cannot be used together`,
          );
          ok = false;
        }
      }
      return ok ? (out as ObjectOf<S>) : undefined;
    },
  };
}

/**
 * A mapping whose `type` field picks the rest of its fields (volumes). Unknown types are reported
 * with a suggestion; fields that belong to another variant are then not reported as unknown.
 */
export function tagged<const Tag extends string, C extends Shape, V extends Record<string, Shape>>(
  tag: Tag,
  common: C,
  variants: V,
  what: string,
): Schema<{ [K in keyof V]: Simplify<ObjectOf<C> & ObjectOf<V[K]> & { [P in Tag]: K }> }[keyof V]> {
  const types = Object.keys(variants);
  const tagSchema = oneOf(types, `${what} type`);
  return {
    expected: 'a mapping',
    check(cur, ctx) {
      if (!isMap(cur.node)) return typeError(cur, ctx, 'a mapping');
      const pair = cur.node.items.find((p) => isPair(p) && keyText(p.key) === tag);
      const tagNode = ctx.resolve(pair?.value);
      let t: string | undefined;
      if (!pair || !tagNode || isNull(tagNode)) {
        ctx.report(
          cur.keyPos,
          keyPath(cur.path, tag),
          `missing required field "${tag}" (one of ${types.map((x) => `"${x}"`).join(', ')})`,
        );
      } else {
        const at = ctx.pos(pair.value, cur.pos);
        t = tagSchema.check(
          { node: tagNode, path: keyPath(cur.path, tag), pos: at, keyPos: ctx.pos(pair.key, at) },
          ctx,
        );
      }
      const variant = t === undefined ? undefined : variants[t];
      if (variant === undefined) {
        // Check what can be checked; tolerate every variant's fields.
        const all: Shape = { ...common };
        for (const v of Object.values(variants))
          for (const [k, f] of Object.entries(v)) all[k] = { schema: f.schema, required: false };
        object({ ...all, [tag]: opt(custom('', () => '')) }).check(cur, ctx);
        return undefined;
      }
      const v = object(
        { ...common, ...variant, [tag]: req(custom('', (c) => (c.node as { value: string }).value)) },
        { what: `a ${t} ${what}` },
      ).check(cur, ctx);
      return v as never;
    },
  };
}

/** A mapping with exactly one of the given fields: `{exact}`, `{prefix}` or `{regex}`. */
export function exactlyOneOf<S extends Record<string, Schema<unknown>>>(
  fields: S,
  what?: string,
): ObjectSchema<{ [K in keyof S]: { [P in K]: Infer<S[K]> } }[keyof S]> {
  const shape: Shape = {};
  for (const [k, schema] of Object.entries(fields)) shape[k] = opt(schema);
  return object(shape, { exactlyOne: Object.keys(fields), ...(what ? { what } : {}) }) as never;
}
