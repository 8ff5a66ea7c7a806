/**
 * How many writes vela-ts keeps in flight at once: enough to hide the round trip, few enough not
 * to trip an API server's priority and fairness limits (client-go's default QPS is 5, burst 10;
 * kubectl apply of many objects is sequential). Independent writes only: callers keep the order
 * that matters by running one group after another.
 */
export const WRITES_IN_FLIGHT = 12;

/**
 * Runs `work` over `items` with at most `limit` in flight; the results come back in input order.
 * After the first failure nothing new starts, and that failure is thrown once the work already in
 * flight has settled (so no write is left running behind the caller's back).
 */
export async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let nextIndex = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && nextIndex < items.length) {
      const i = nextIndex++;
      try {
        results[i] = await work(items[i] as T, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
  return results;
}
