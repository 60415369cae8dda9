import {
  ConfigError,
  type ResultStorage,
  type UrlComponentOptions,
  type UrlFactory,
} from "@omniq/core";
import { pathKey } from "./same-path.js";
import { type HandleSource, SqliteHandle } from "./sqlite-handle.js";
import type { SQLiteQueueOptions } from "./sqlite-options.js";
import { AsyncSQLiteEventStorage } from "./sqlite-event-storage.js";
import { AsyncSQLiteQueue } from "./sqlite-queue.js";
import { AsyncSQLiteResultStorage } from "./sqlite-result-storage.js";

/**
 * The database path of a `sqlite:` URL: `sqlite:./omniq.db` and `sqlite:omniq.db`
 * (relative to the working directory), `sqlite:/abs/path.db` or `sqlite:///abs/path.db`,
 * and `sqlite::memory:`.
 */
export function parseSqliteUrl(url: string): string {
  if (typeof url !== "string" || !url.startsWith("sqlite:")) {
    throw new ConfigError(
      "url",
      `sqlite: expected a URL like sqlite:./omniq.db, sqlite:/abs/path.db or sqlite::memory:, got ${JSON.stringify(String(url).slice(0, 80))}`,
    );
  }
  let path = url.slice("sqlite:".length);
  if (path.startsWith("//")) path = path.slice(2);
  if (path.length === 0) {
    throw new ConfigError("url", `sqlite: the URL ${JSON.stringify(url)} names no database file`);
  }
  return path;
}

/** Open connections of URL-built components, by {@link pathKey}; each closes with its last user. */
const open = new Map<string, SqliteHandle>();
/** URL-built result storages and the key of the database they are on. */
const resultKeys = new WeakMap<ResultStorage, string>();

/**
 * Components built from URLs naming the same database (after resolving the path) share one
 * connection (so `:memory:` is one database), reference-counted: it is opened by the first
 * component that is used and closed when the last one closes. A queue also knows the result
 * storages built for its database, so `sharesResultStore` holds for them.
 */
function sharedSource(options: SQLiteQueueOptions): HandleSource & {
  sharesResults(storage: ResultStorage): boolean;
} {
  const key = pathKey(options.path!);
  return {
    handle: () => {
      const existing = open.get(key);
      if (existing) return existing.retain();
      const handle = SqliteHandle.acquire(options, () => {
        if (open.get(key) === handle) open.delete(key);
      });
      open.set(key, handle);
      return handle;
    },
    sharesResults: (storage) => resultKeys.get(storage) === key,
  };
}

function componentOptions(url: string, options?: UrlComponentOptions): SQLiteQueueOptions {
  const { storageOptions: _ignored, path: _path, database: _db, ...rest } = options ?? {};
  return { ...(rest as SQLiteQueueOptions), path: parseSqliteUrl(url) };
}

/**
 * Builds components from `sqlite:` URLs for the configuration layer. Components on the same
 * database share one connection, and the queue has `atomicResults` (pass
 * `atomicResults: false` to turn it off): with results on the same database, a task's status
 * and its result are written in one transaction, as with `SQLiteBackend`.
 *
 * @example
 * ```ts
 * const queue = omniqUrlFactory.queue("sqlite:./omniq.db");
 * const results = omniqUrlFactory.results("sqlite:omniq.db"); // same file: same connection
 * queue.sharesResultStore(results); // true
 * ```
 */
export const omniqUrlFactory: UrlFactory = {
  schemes: ["sqlite"],
  queue(url, options) {
    const o = componentOptions(url, options);
    return new AsyncSQLiteQueue({ ...o, atomicResults: o.atomicResults ?? true }, sharedSource(o));
  },
  results(url, options) {
    const o = componentOptions(url, options);
    const results = new AsyncSQLiteResultStorage(o, sharedSource(o));
    resultKeys.set(results, pathKey(o.path!));
    return results;
  },
  events(url, options) {
    const o = componentOptions(url, options);
    return new AsyncSQLiteEventStorage(o, sharedSource(o));
  },
};
