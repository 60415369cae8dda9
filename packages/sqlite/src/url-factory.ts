import { resolve } from "node:path";
import { ConfigError, type UrlComponentOptions, type UrlFactory } from "@omniq/core";
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

const open = new Map<string, SqliteHandle>();

/** Components built from URLs naming the same database share one connection (so `:memory:` is one database). */
function sharedSource(options: SQLiteQueueOptions): HandleSource {
  const path = options.path!;
  const key = path === ":memory:" ? path : resolve(path);
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
  };
}

function componentOptions(url: string, options?: UrlComponentOptions): SQLiteQueueOptions {
  const { storageOptions: _ignored, path: _path, database: _db, ...rest } = options ?? {};
  return { ...(rest as SQLiteQueueOptions), path: parseSqliteUrl(url) };
}

/**
 * Builds components from `sqlite:` URLs for the configuration layer.
 *
 * @example
 * ```ts
 * const queue = omniqUrlFactory.queue("sqlite:./omniq.db");
 * const results = omniqUrlFactory.results("sqlite:./omniq.db"); // same connection
 * ```
 */
export const omniqUrlFactory: UrlFactory = {
  schemes: ["sqlite"],
  queue(url, options) {
    const o = componentOptions(url, options);
    return new AsyncSQLiteQueue(o, sharedSource(o));
  },
  results(url, options) {
    const o = componentOptions(url, options);
    return new AsyncSQLiteResultStorage(o, sharedSource(o));
  },
  events(url, options) {
    const o = componentOptions(url, options);
    return new AsyncSQLiteEventStorage(o, sharedSource(o));
  },
};
