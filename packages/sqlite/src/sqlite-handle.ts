import { setTimeout as sleep } from "node:timers/promises";
import { BackendError, ClosedError, ConfigError, type ResultStorage } from "@omniq/core";
import DatabaseConstructor, {
  type Database,
  type Statement,
  type Transaction,
} from "better-sqlite3";
import { migrate } from "./migrate.js";
import { isBusy, toBackendError } from "./sqlite-errors.js";
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  type SQLiteConnectionOptions,
} from "./sqlite-options.js";

/**
 * @internal How `SQLiteBackend` hands its shared connection to the components it builds.
 */
export interface HandleSource {
  handle(): SqliteHandle;
  /** The result storage sharing this connection, for `AsyncSQLiteQueue.sharesResultStore`. */
  results?(): ResultStorage | undefined;
}

type Thunk = (fn: () => unknown) => unknown;

const byDatabase = new WeakMap<Database, SqliteHandle>();

/** Longest pause between two attempts on a locked database. */
const MAX_BACKOFF_MS = 50;

/**
 * One better-sqlite3 connection shared by the components built on it: pragmas, migrations
 * (once), a prepared-statement cache, SQLITE_BUSY handling and reference-counted close.
 *
 * Busy handling has two stages. SQLite's own busy handler waits up to `busyTimeoutMs`
 * (short: it blocks the thread); past that, the operation is retried from JS with jittered
 * exponential back-off through `setTimeout`, which yields the event loop, until
 * `lockTimeoutMs` has passed, then fails with a {@link BackendError} naming the database.
 */
export class SqliteHandle {
  readonly db: Database;
  readonly path: string;
  readonly memory: boolean;
  readonly busyTimeoutMs: number;
  readonly lockTimeoutMs: number;
  /** SQLITE_BUSY errors retried from JS so far (diagnostics). */
  busyRetries = 0;
  /** The longest single synchronous database call so far, SQLite's own busy wait included (diagnostics). */
  longestCallMs = 0;
  #refs = 1;
  readonly #owned: boolean;
  #ready: Promise<void> | undefined;
  #isReady = false;
  readonly #statements = new Map<string, Statement>();
  readonly #tx: Transaction<Thunk>;
  readonly #onClose: (() => void) | undefined;

  private constructor(
    db: Database,
    path: string,
    owned: boolean,
    options: SQLiteConnectionOptions,
    onClose?: () => void,
  ) {
    this.db = db;
    this.path = path;
    this.memory = db.memory;
    this.#owned = owned;
    this.#onClose = onClose;
    this.busyTimeoutMs = checkMs(options.busyTimeoutMs, "busyTimeoutMs", DEFAULT_BUSY_TIMEOUT_MS);
    this.lockTimeoutMs = checkMs(options.lockTimeoutMs, "lockTimeoutMs", DEFAULT_LOCK_TIMEOUT_MS);
    this.#tx = db.transaction((fn: () => unknown) => fn());
    byDatabase.set(db, this);
  }

  /**
   * Acquires the handle a component opens with (its `source`'s shared one, else its own for
   * `options`) and waits until it is ready (migrated); released again if that fails.
   */
  static async open(
    options: SQLiteConnectionOptions,
    source?: HandleSource,
  ): Promise<SqliteHandle> {
    const handle = source ? source.handle() : SqliteHandle.acquire(options);
    try {
      await handle.ready();
    } catch (err) {
      handle.release();
      throw err;
    }
    return handle;
  }

  /**
   * The handle for these options: the existing one when `database` is already in use by
   * another component (its reference count goes up), else a new connection.
   */
  static acquire(options: SQLiteConnectionOptions, onClose?: () => void): SqliteHandle {
    if (options === null || typeof options !== "object") {
      throw new ConfigError("options", 'sqlite: expected options { path: "file.db" | ":memory:" }');
    }
    if (options.database !== undefined) {
      const db = options.database;
      if (db === null || typeof db !== "object" || typeof db.prepare !== "function") {
        throw new ConfigError("database", "sqlite: database: expected a better-sqlite3 Database");
      }
      const existing = byDatabase.get(db);
      if (existing && existing.#refs > 0) {
        existing.#refs++;
        return existing;
      }
      return new SqliteHandle(db, db.name, false, options, onClose);
    }
    const path = options.path;
    if (typeof path !== "string" || path.length === 0) {
      throw new ConfigError(
        "path",
        `sqlite: path: expected a file path or ":memory:", got ${path === undefined ? "nothing" : JSON.stringify(path)}`,
      );
    }
    let db: Database;
    try {
      db = new DatabaseConstructor(path);
    } catch (err) {
      throw toBackendError(err, path, "open");
    }
    return new SqliteHandle(db, path, true, options, onClose);
  }

  /** Another component shares this connection. */
  retain(): this {
    this.#refs++;
    return this;
  }

  /** Sets pragmas and migrates, once; a failure is retried by the next call. */
  ready(): Promise<void> | undefined {
    if (this.#isReady) return undefined;
    this.#ready ??= this.#init().then(
      () => {
        this.#isReady = true;
      },
      (err: unknown) => {
        this.#ready = undefined;
        throw toBackendError(err, this.path, "open");
      },
    );
    return this.#ready;
  }

  async #init(): Promise<void> {
    const db = this.db;
    db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    await this.run(() => {
      if (!this.memory) db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
    });
    await migrate(db, this.path, (fn) => this.run(fn));
  }

  /** A cached prepared statement. */
  prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Runs `fn` (synchronous database work) now; when the database is locked, retries it
   * asynchronously. `fn` must be safe to run again: a failed attempt changed nothing.
   */
  run<T>(fn: () => T): T | Promise<T> {
    try {
      return this.#timed(fn);
    } catch (err) {
      if (!isBusy(err)) throw toBackendError(err, this.path);
      return this.#retry(fn);
    }
  }

  #timed<T>(fn: () => T): T {
    const started = performance.now();
    try {
      return fn();
    } finally {
      const ms = performance.now() - started;
      if (ms > this.longestCallMs) this.longestCallMs = ms;
    }
  }

  /** Runs `fn` in one `BEGIN IMMEDIATE` transaction (retried as a whole when locked). */
  write<T>(fn: () => T): T | Promise<T> {
    return this.run(() => this.#tx.immediate(fn) as T);
  }

  async #retry<T>(fn: () => T): Promise<T> {
    const started = Date.now();
    let backoff = 1;
    for (;;) {
      this.busyRetries++;
      await sleep(backoff * (0.5 + Math.random()));
      if (!this.db.open)
        throw new ClosedError(`sqlite: ${this.path}: closed while waiting for a lock`);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      try {
        return this.#timed(fn);
      } catch (err) {
        if (!isBusy(err)) throw toBackendError(err, this.path);
        const waited = Date.now() - started;
        if (waited >= this.lockTimeoutMs) {
          throw new BackendError(
            `sqlite: ${this.path}: the database stayed locked by another connection for ${waited} ms (SQLITE_BUSY); raise lockTimeoutMs or find the long transaction`,
            { cause: err },
          );
        }
      }
    }
  }

  /** Drops one reference; the last one closes the connection when OmniQ opened it. */
  release(): void {
    if (this.#refs <= 0) return;
    this.#refs--;
    if (this.#refs > 0) return;
    byDatabase.delete(this.db);
    this.#statements.clear();
    if (this.#owned && this.db.open) this.db.close();
    this.#onClose?.();
  }
}

function checkMs(value: number | undefined, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(
      key,
      `sqlite: ${key}: expected an integer number of ms >= 0, got ${String(value)}`,
    );
  }
  return value;
}
