/** How long a loop over a batch may hold the event loop before it gives other work (/health, other requests) a turn. */
export const SLICE_MS = 4;

/**
 * Runs `fn` over `items` in order, yielding to the event loop (setImmediate) whenever the current
 * slice has run for `sliceMs`: a 500-token batch never holds the loop for more than a few ms.
 */
export async function forEachSliced<T>(items: readonly T[], fn: (item: T, index: number) => void, sliceMs = SLICE_MS): Promise<void> {
  let started = performance.now();
  for (let i = 0; i < items.length; i++) {
    if (i % 16 === 15 && performance.now() - started > sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      started = performance.now();
    }
    fn(items[i], i);
  }
}
