/**
 * The small grammars inside a check-metrics step: its `condition` (one comparison, as KubeVela
 * writes them) and the placeholders its `query` may use. The parser refuses what these cannot
 * read; the workflow (workflow/metrics.ts) evaluates them.
 */

export type Comparator = '>=' | '>' | '<=' | '<' | '==' | '!=';
export interface Condition {
  op: Comparator;
  value: number;
}

const CONDITION = /^\s*(>=|<=|==|!=|>|<)\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*$/;

/** `">=0.95"`, `"< 500"`, `"==1"`: one comparison with a number, as KubeVela writes them. */
export function parseCondition(text: string): Condition | undefined {
  const m = CONDITION.exec(text);
  if (!m) return undefined;
  const value = Number(m[2]);
  return Number.isFinite(value) ? { op: m[1] as Comparator, value } : undefined;
}

/** The placeholders a `query` may use, filled from the rollout the step judges. */
export const PLACEHOLDERS = ['namespace', 'component', 'canary', 'stable', 'window'] as const;
export const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Placeholders in `query` that vela-ts does not know (refused up front). */
export function unknownPlaceholders(query: string): string[] {
  return [...query.matchAll(PLACEHOLDER)]
    .map((m) => m[1] as string)
    .filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
}

/**
 * Why `text` is not Prometheus' base URL (an http or https URL with a host and no query or
 * fragment), or undefined when it is one: for `metricEndpoint` and `--prometheus` alike.
 */
export function prometheusUrlProblem(text: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname)
    return 'must be an http or https URL such as "http://prometheus.istio-system.svc:9090"';
  if (url.search || url.hash) return "must be Prometheus' base URL, with no query or fragment";
  return undefined;
}
