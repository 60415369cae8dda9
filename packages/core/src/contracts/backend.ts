import type { EventStorage } from "./base-event-storage.js";
import type { ResultStorage } from "./base-result-storage.js";
import type { TaskQueue } from "./queue-types.js";

/**
 * Builds the three components from one configuration. Each component can also be
 * built on its own, and any queue works with any result and event storage.
 *
 * @example
 * ```ts
 * const backend = new SQLiteBackend({ path: "omniq.db" });
 * const omniq = new AsyncOmniQ({ queue: backend.queue(), results: backend.results() });
 * ```
 */
export interface Backend {
  queue(): TaskQueue;
  results(): ResultStorage;
  events(): EventStorage;
  close(): Promise<void>;
}
