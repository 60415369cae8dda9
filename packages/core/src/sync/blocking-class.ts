import type { Blocking } from "../contracts/common.js";
import { type BlockingHandle, type BlockingOptions, buildBlocking } from "./create-blocking.js";

/** The constructor {@link blockingClass} returns. */
export type BlockingClass<T extends object, A extends unknown[]> = new (
  ...args: A
) => Blocking<T> & BlockingHandle;

/**
 * Makes a blocking class from an async one: `new Twin(...args)` builds
 * `new exportName(...args)` inside a worker thread (see {@link createBlocking}) and returns its
 * blocking twin, so `twin instanceof Twin` holds. The class is named after `exportName` without
 * its `Async` prefix. Constructor arguments must be structured-cloneable.
 *
 * @example
 * ```ts
 * // packages/sqlite/src/index.ts
 * export const SQLiteQueue = blockingClass<AsyncSQLiteQueue, [SQLiteQueueOptions]>(
 *   new URL("./sqlite-queue.js", import.meta.url).href,
 *   "AsyncSQLiteQueue",
 * );
 * // a user's script
 * using q = new SQLiteQueue({ path: "omniq.db" });
 * q.enqueue({ name: "email", args: ["a@b.c"] });
 * ```
 */
export function blockingClass<T extends object, A extends unknown[]>(
  module: string,
  exportName: string,
  options: BlockingOptions = {},
): BlockingClass<T, A> {
  const name =
    exportName.startsWith("Async") && exportName.length > 5
      ? exportName.slice(5)
      : `Blocking${exportName}`;
  const Twin = function (this: unknown, ...args: unknown[]): object {
    if (!new.target)
      throw new TypeError(`Class constructor ${name} cannot be invoked without 'new'`);
    return buildBlocking(
      { module, exportName, args },
      options,
      new.target.prototype as object,
      name,
      Twin,
    );
  };
  Object.defineProperty(Twin, "name", { value: name });
  return Twin as unknown as BlockingClass<T, A>;
}
