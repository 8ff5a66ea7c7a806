/**
 * Byte-stable output (as cdk8s does it): apiVersion, kind, metadata first, then the other keys
 * sorted; nested keys sorted too, list order kept. Same input, same bytes.
 */
const HEAD = ['apiVersion', 'kind', 'metadata'];

export function canonical(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, false));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort((a, b) => {
      if (top) {
        const ia = HEAD.indexOf(a);
        const ib = HEAD.indexOf(b);
        if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
      }
      return a < b ? -1 : a > b ? 1 : 0;
    });
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = canonical(obj[k], false);
  return out;
}

/** A JSON string with sorted keys at every level: the input of hashes and equality checks. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(canonical(value, false));
}

/** Letters, digits, `-` and `.`: every Kubernetes object name, and where the comparison below is exact. */
const NAME_CHARS = /^[A-Za-z0-9.-]*$/;

/**
 * The order of `a.localeCompare(b, 'en')` without it: ICU's first collation costs ~6-12 ms of
 * start-up, on every render. Over letters, digits, `-` and `.` the English collation is the byte
 * order of the lower-cased strings (`-` < `.` < digits < letters), ties broken by the first
 * difference in case, lower case first; other characters, which no valid name holds, still go to ICU.
 */
export function compareNames(a: string, b: string): number {
  if (!NAME_CHARS.test(a) || !NAME_CHARS.test(b)) return a.localeCompare(b, 'en');
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] === la[i] ? -1 : 1;
  }
  return 0;
}
