import jsYaml from 'js-yaml';
import type { KubeObject } from '../compile/index.js';

/** Multi-document YAML; keys are already in canonical order, so js-yaml must not sort them. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => jsYaml.dump(o, { noRefs: true, lineWidth: -1, sortKeys: false })).join('---\n');
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A person's age of a duration, as kubectl's AGE column: `45s`, `3m`, `2h`, `4d`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Rows as kubectl prints them: each column as wide as its widest cell, three spaces apart. */
export function columns(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i] ?? 0) : c))
      .join('   ')
      .trimEnd();
  return `${rows.map(line).join('\n')}\n`;
}
