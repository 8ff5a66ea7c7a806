/**
 * The one duration grammar of vela-ts: Go's, as KubeVela's suspend step and kubectl's --timeout
 * take it (`30s`, `5m`, `1h30m`, `500ms`, `1.5h`), and the one way durations are written back.
 */
export const DURATION = /^([0-9]+(\.[0-9]+)?(ms|h|m|s))+$/;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds, or undefined when `text` is not a duration (never a silent 0). */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)/g)) {
    ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  return ms;
}

/** `10m`, `90s`, `400ms`: the largest unit that writes `ms` exactly. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
