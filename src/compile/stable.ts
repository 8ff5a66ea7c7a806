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
