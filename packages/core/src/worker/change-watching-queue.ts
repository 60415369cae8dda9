import type { TaskQueue } from "../contracts/queue-types.js";

/**
 * Optional hook for a queue that can tell when another process may have written to it
 * (e.g. SQLite watching its `-wal` file with `fs.watch`). Workers subscribe on start and
 * claim at once on a notification instead of waiting for their next poll; polling stays
 * as the fallback, so a notification may be spurious or missed.
 *
 * @example
 * ```ts
 * class AsyncSQLiteQueue extends BaseQueue implements ChangeWatchingQueue {
 *   watchChanges(listener: () => void) {
 *     const w = fs.watch(`${this.path}-wal`, () => listener());
 *     return () => w.close();
 *   }
 * }
 * ```
 */
export interface ChangeWatchingQueue {
  /** Calls `listener` when the store may have changed; returns the unsubscribe function. */
  watchChanges(listener: () => void): () => void;
}

/** Subscribes to `queue.watchChanges` when the queue has it; returns the unsubscribe (a no-op otherwise). */
export function watchQueueChanges(queue: TaskQueue, listener: () => void): () => void {
  const watch = (queue as Partial<ChangeWatchingQueue>).watchChanges;
  if (typeof watch !== "function") return () => {};
  return watch.call(queue, listener);
}
