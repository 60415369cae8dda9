/**
 * Runs `fn` on every item with at most `lanes` calls in flight (on an object store each call
 * is a round trip, so one at a time would cost a round trip per item). Results in input
 * order. Every call settles before this returns; the first error is then thrown.
 *
 * @example
 * ```ts
 * const texts = await inLanes(keys, 16, (key) => target.read(key));
 * ```
 */
export async function inLanes<T, R>(
  items: readonly T[],
  lanes: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let failure: { err: unknown } | undefined;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, lanes), items.length) }, lane));
  if (failure) throw failure.err;
  return out;
}
