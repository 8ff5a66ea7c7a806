/** "Did you mean" for misspelt field names, types and enum values. */

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The known name closest to `given`: a case-insensitive match wins, otherwise the nearest within
 * edit distance 2 (ties go to the first candidate, so suggestions are stable). Very short inputs
 * only get a suggestion at distance 1, or "id" would suggest every two-letter field.
 */
export function closest(given: string, candidates: readonly string[]): string | undefined {
  const lower = given.toLowerCase();
  const caseMatch = candidates.find((c) => c.toLowerCase() === lower);
  if (caseMatch !== undefined) return caseMatch;
  const limit = given.length <= 2 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = levenshtein(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "x"?` or nothing. */
export function didYouMean(given: string, candidates: readonly string[]): string {
  const c = closest(given, candidates);
  return c === undefined ? '' : `; did you mean "${c}"?`;
}
