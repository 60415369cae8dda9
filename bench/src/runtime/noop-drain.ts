import type { AsyncOmniQ } from "@omniq/core";

/**
 * The runtime suite's throughput method, shared with the file suite: registers a no-op task,
 * enqueues `n` of it with `enqueueMany` (chunks of 1000), then times
 * `worker({ concurrency }).runUntilIdle()`; returns the milliseconds it took.
 */
export async function noopDrainMs(
  omniq: AsyncOmniQ,
  n: number,
  concurrency: number,
  timeoutMs = 300_000,
  /** Called just before and just after the timed part (to sample something over it). */
  timed?: { start(): void; stop(): void },
): Promise<number> {
  omniq.task("noop", () => {});
  for (let i = 0; i < n; i += 1000) {
    const count = Math.min(1000, n - i);
    await omniq.enqueueMany(
      Array.from({ length: count }, (_, j) => ({ name: "noop", args: [i + j] })),
    );
  }
  timed?.start();
  const t0 = performance.now();
  const stats = await omniq.worker({ concurrency }).runUntilIdle({ timeoutMs });
  const ms = performance.now() - t0;
  timed?.stop();
  if (stats.succeeded !== n) throw new Error(`worker completed ${stats.succeeded} of ${n}`);
  return ms;
}
