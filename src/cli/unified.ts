/**
 * A unified diff of two texts, as `diff -u` prints it (what `kubectl diff` shows): hunks of
 * changed lines with three lines of context around them.
 */

type Edit = { op: ' ' | '-' | '+'; line: string };

/** Past this many line pairs the longest-common-subsequence table is too big: all out, all in. */
const MAX_CELLS = 4_000_000;

/** The line edits turning `a` into `b`, by longest common subsequence; removals before additions. */
export function lineEdits(a: readonly string[], b: readonly string[]): Edit[] {
  if (a.length * b.length > MAX_CELLS) {
    return [
      ...a.map((line) => ({ op: '-' as const, line })),
      ...b.map((line) => ({ op: '+' as const, line })),
    ];
  }
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const below = lcs[i + 1] as Uint32Array;
    for (let j = b.length - 1; j >= 0; j--) {
      row[j] = a[i] === b[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      edits.push({ op: ' ', line: a[i] as string });
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      edits.push({ op: '-', line: a[i] as string });
      i++;
    } else {
      edits.push({ op: '+', line: b[j] as string });
      j++;
    }
  }
  return edits;
}

const splitLines = (text: string): string[] => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

/** `diff -u`'s range: start,count (start is the line before when count is 0). */
const range = (start: number, count: number) =>
  count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;

/**
 * The hunks of a unified diff of `before` and `after` (no `---`/`+++` header), each line
 * prefixed with ` `, `-` or `+`; empty when the texts are equal.
 */
export function unifiedHunks(before: string, after: string, context = 3): string[] {
  const edits = lineEdits(splitLines(before), splitLines(after));
  const changed = edits.map((e, k) => (e.op === ' ' ? -1 : k)).filter((k) => k >= 0);
  if (changed.length === 0) return [];
  // Group changes whose context would touch or overlap.
  const groups: [number, number][] = [];
  for (const k of changed) {
    const last = groups[groups.length - 1];
    if (last && k - last[1] <= 2 * context) last[1] = k;
    else groups.push([k, k]);
  }
  // Line numbers before each edit, on both sides.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 1;
  let n = 1;
  for (const e of edits) {
    oldAt.push(o);
    newAt.push(n);
    if (e.op !== '+') o++;
    if (e.op !== '-') n++;
  }
  const out: string[] = [];
  for (const [first, last] of groups) {
    const from = Math.max(0, first - context);
    const to = Math.min(edits.length - 1, last + context);
    const slice = edits.slice(from, to + 1);
    const oldCount = slice.filter((e) => e.op !== '+').length;
    const newCount = slice.filter((e) => e.op !== '-').length;
    out.push(`@@ -${range(oldAt[from] ?? 1, oldCount)} +${range(newAt[from] ?? 1, newCount)} @@`);
    for (const e of slice) out.push(`${e.op}${e.line}`);
  }
  return out;
}
