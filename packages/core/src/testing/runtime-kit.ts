import type { EventStorage } from "../contracts/base-event-storage.js";
import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import { AsyncOmniQ } from "../omniq/async-omniq.js";
import type { WorkerOptions } from "../worker/worker-options.js";

/** The components a runtime-conformance case runs on (fresh and empty per case). */
export interface RuntimeComponents {
  queue: TaskQueue;
  results?: ResultStorage | undefined;
  events?: EventStorage | undefined;
}

/** What each runtime case gets. */
export interface RuntimeHarness {
  /**
   * An `AsyncOmniQ` over fresh components. `events: false` / `results: false` leave that
   * storage out of the facade (it is still created and returned, to check nothing was written).
   */
  open(options?: {
    events?: boolean;
    results?: boolean;
  }): Promise<Required<RuntimeComponents> & { omniq: AsyncOmniQ }>;
}

export interface RuntimeCase {
  name: string;
  run(h: RuntimeHarness): Promise<void>;
}

/** Worker options that keep cases fast: tight polling and sweeps. */
export const FAST = {
  pollIntervalMs: { min: 1, max: 20 },
  scheduleTickMs: 10,
  maintenanceMs: 10,
  gracefulStopMs: 1000,
  leaseMs: 5000,
} as const satisfies WorkerOptions;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 5 ms until it is truthy; throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 1500,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A handler body that never settles by itself: resolves with the abort reason once the signal fires. */
export function untilAborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener("abort", () => resolve(signal.reason), { once: true });
  });
}

export { AsyncOmniQ };

export interface RuntimeCaseGroup {
  name: string;
  cases: RuntimeCase[];
}
