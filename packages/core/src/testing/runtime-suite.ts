import { afterEach, describe, it } from "vitest";
import { AsyncMemoryEventStorage } from "../memory/memory-event-storage.js";
import { AsyncMemoryResultStorage } from "../memory/memory-result-storage.js";
import { AsyncOmniQ } from "../omniq/async-omniq.js";
import { claimCases } from "./runtime-cases-claim.js";
import { controlCases } from "./runtime-cases-control.js";
import { observeCases } from "./runtime-cases-observe.js";
import { prefetchCases } from "./runtime-cases-prefetch.js";
import { runCases } from "./runtime-cases-run.js";
import type { RuntimeComponents, RuntimeHarness } from "./runtime-kit.js";

export type { RuntimeCase, RuntimeComponents, RuntimeHarness } from "./runtime-kit.js";

export interface RuntimeConformanceOptions {
  /** The `describe()` label. */
  name: string;
  /**
   * Fresh, EMPTY components per call (the suite closes them after each case). Return all
   * three where the backend has them; a missing `results` or `events` is filled with the
   * in-memory one so every case still runs.
   */
  create: () => Promise<RuntimeComponents> | RuntimeComponents;
}

/**
 * The worker-runtime suite every backend runs: an `AsyncOmniQ` and its workers over the
 * backend's components — results, retries and backoff, timeouts, TTL, dependencies,
 * cancel, lost leases, graceful stop, schedules, events, progress, waiting, concurrency
 * and queue order. Each case takes well under two seconds.
 *
 * @example
 * ```ts
 * import { runtimeConformance } from "@omniq/core/testing";
 * runtimeConformance({
 *   name: "sqlite",
 *   create: async () => {
 *     const backend = new SQLiteBackend({ path: tempFile() });
 *     return { queue: backend.queue(), results: backend.results(), events: backend.events() };
 *   },
 * });
 * ```
 */
export function runtimeConformance(options: RuntimeConformanceOptions): void {
  describe(`runtime conformance: ${options.name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    });
    const harness: RuntimeHarness = {
      async open(o = {}) {
        const c = await options.create();
        const results = c.results ?? new AsyncMemoryResultStorage();
        const events = c.events ?? new AsyncMemoryEventStorage();
        const omniq = new AsyncOmniQ({
          queue: c.queue,
          results: o.results === false ? undefined : results,
          events: o.events === false ? undefined : events,
        });
        cleanups.push(async () => {
          await omniq.close();
          if (o.results === false) await results.close();
          if (o.events === false) await events.close();
        });
        return { omniq, queue: c.queue, results, events };
      },
    };
    for (const group of [runCases, controlCases, claimCases, prefetchCases, observeCases]) {
      describe(group.name, () => {
        for (const c of group.cases) it(c.name, () => c.run(harness), 10_000);
      });
    }
  });
}
