import type { BaseQueueOptions } from "@omniq/core";
import type { Database } from "better-sqlite3";

/**
 * Where a component's database is and how it waits for locks. Every field but `database`
 * is structured-cloneable, so the same options build the blocking twins.
 */
export interface SQLiteConnectionOptions {
  /** Database file path, or `":memory:"`. Required unless `database` is given. */
  path?: string;
  /**
   * An open better-sqlite3 `Database` to use instead of `path` (async classes only: it cannot
   * cross to the blocking twin's thread). OmniQ sets WAL, `synchronous=NORMAL` and the busy
   * timeout on it, runs its migrations, and never closes it: that stays the caller's job.
   * Components given the same `Database` share one connection.
   */
  database?: Database;
  /**
   * How long SQLite itself waits for a lock before giving the wait back to the event loop.
   * This wait blocks the thread, so keep it short; longer waits are retried asynchronously.
   * @defaultValue 10
   */
  busyTimeoutMs?: number;
  /**
   * Longest total wait for a locked database (SQLITE_BUSY), retried with jittered back-off
   * through `setTimeout`, before the operation fails with a `BackendError`.
   * @defaultValue 30_000
   */
  lockTimeoutMs?: number;
}

export interface SQLiteQueueOptions extends SQLiteConnectionOptions, BaseQueueOptions {
  /**
   * `complete(id, worker, { result })` writes the result row into this database's results
   * table in the same transaction as the task status (the spec's mark_done), and
   * `capabilities.atomicResults` is `true`. Read the results with an
   * `AsyncSQLiteResultStorage` on the same file. `SQLiteBackend` sets this.
   * @defaultValue false
   */
  atomicResults?: boolean;
}

export type SQLiteResultStorageOptions = SQLiteConnectionOptions;
export type SQLiteEventStorageOptions = SQLiteConnectionOptions;

export const DEFAULT_BUSY_TIMEOUT_MS = 10;
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
