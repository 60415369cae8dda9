import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { TaskQueue } from "../contracts/queue-types.js";

/**
 * Implemented by a queue with `capabilities.atomicResults` to say which result storages
 * live in its own store (e.g. the same SQLite database). For those, the worker passes the
 * result to `queue.complete({ result })` and the queue writes task and result in one
 * transaction; for any other storage it calls `results.set` after the completion.
 *
 * @example
 * ```ts
 * class AsyncSQLiteQueue extends BaseQueue implements ResultSharingQueue {
 *   sharesResultStore(results: ResultStorage) {
 *     return results instanceof AsyncSQLiteResultStorage && results.database === this.database;
 *   }
 * }
 * ```
 */
export interface ResultSharingQueue {
  sharesResultStore(results: ResultStorage): boolean;
}

/** Whether completions should carry their result to the queue (one transaction) instead of `results.set`. */
export function usesAtomicResults(queue: TaskQueue, results: ResultStorage | undefined): boolean {
  if (!results || !queue.capabilities.atomicResults) return false;
  const sharing = (queue as Partial<ResultSharingQueue>).sharesResultStore;
  return typeof sharing === "function" && sharing.call(queue, results) === true;
}
