import { blockingClass } from "@omniq/core";
import type {
  SQLiteEventStorageOptions,
  SQLiteQueueOptions,
  SQLiteResultStorageOptions,
} from "./sqlite-options.js";
import type { AsyncSQLiteEventStorage } from "./sqlite-event-storage.js";
import type { AsyncSQLiteQueue } from "./sqlite-queue.js";
import type { AsyncSQLiteResultStorage } from "./sqlite-result-storage.js";

/**
 * The blocking twin of {@link AsyncSQLiteQueue}: the same methods without promises, for scripts
 * and synchronous code. It runs the async queue in a worker thread (core's sync bridge) and
 * waits with `Atomics.wait`. Options must be structured-cloneable: give `path`, not `database`.
 *
 * @example
 * ```ts
 * using queue = new SQLiteQueue({ path: "omniq.db" });
 * const task = queue.enqueue({ name: "report.build", args: [2024] });
 * console.log(queue.get(task.id)?.status); // "pending"
 * ```
 */
export const SQLiteQueue = blockingClass<AsyncSQLiteQueue, [SQLiteQueueOptions]>(
  new URL("./sqlite-queue.js", import.meta.url).href,
  "AsyncSQLiteQueue",
);
export type SQLiteQueue = InstanceType<typeof SQLiteQueue>;

/**
 * The blocking twin of {@link AsyncSQLiteResultStorage}.
 *
 * @example
 * ```ts
 * using results = new SQLiteResultStorage({ path: "omniq.db" });
 * const r = results.get(taskId);
 * ```
 */
export const SQLiteResultStorage = blockingClass<
  AsyncSQLiteResultStorage,
  [SQLiteResultStorageOptions]
>(new URL("./sqlite-result-storage.js", import.meta.url).href, "AsyncSQLiteResultStorage");
export type SQLiteResultStorage = InstanceType<typeof SQLiteResultStorage>;

/**
 * The blocking twin of {@link AsyncSQLiteEventStorage}.
 *
 * @example
 * ```ts
 * using events = new SQLiteEventStorage({ path: "omniq.db" });
 * const { items } = events.query({ taskId });
 * ```
 */
export const SQLiteEventStorage = blockingClass<
  AsyncSQLiteEventStorage,
  [SQLiteEventStorageOptions]
>(new URL("./sqlite-event-storage.js", import.meta.url).href, "AsyncSQLiteEventStorage");
export type SQLiteEventStorage = InstanceType<typeof SQLiteEventStorage>;
