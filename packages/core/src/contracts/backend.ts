import type { EventStorage } from "./base-event-storage.js";
import type { ResultStorage } from "./base-result-storage.js";
import type { TaskQueue } from "./queue-types.js";

/**
 * Builds the three components from one configuration. Each component can also be
 * built on its own, and any queue works with any result and event storage.
 *
 * @example
 * ```ts
 * const omniq = new AsyncOmniQ({ backend: new SQLiteBackend({ path: "omniq.db" }) });
 * // or pick components: any queue with any result and event storage
 * const mixed = new AsyncOmniQ({ queue: backend.queue(), results: otherBackend.results() });
 * ```
 */
export interface Backend {
  queue(): TaskQueue;
  results(): ResultStorage;
  events(): EventStorage;
  close(): Promise<void>;
}
