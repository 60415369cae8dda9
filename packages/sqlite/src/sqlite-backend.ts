import { type BaseBackend, ClosedError, ConfigError } from "@omniq/core";
import { type HandleSource, SqliteHandle } from "./sqlite-handle.js";
import type { SQLiteQueueOptions } from "./sqlite-options.js";
import { AsyncSQLiteEventStorage } from "./sqlite-event-storage.js";
import { AsyncSQLiteQueue } from "./sqlite-queue.js";
import { AsyncSQLiteResultStorage } from "./sqlite-result-storage.js";

/** Options of {@link SQLiteBackend}: one database for the queue, results and events. */
export interface SQLiteBackendOptions extends SQLiteQueueOptions {
  /**
   * The queue writes results in the task's completing transaction (the spec's mark_done).
   * @defaultValue true
   */
  atomicResults?: boolean;
}

/**
 * Builds the queue, result storage and event storage on one SQLite database and one
 * connection (so `:memory:` works too). `complete(id, worker, { result })` then writes the
 * task status and the result row in one transaction (`capabilities.atomicResults`).
 * Each call returns the same component; close the backend to close them all.
 *
 * @example
 * ```ts
 * await using backend = new SQLiteBackend({ path: "omniq.db" });
 * const queue = backend.queue();
 * const results = backend.results();
 * const events = backend.events();
 * ```
 */
export class SQLiteBackend implements BaseBackend {
  readonly #options: SQLiteBackendOptions;
  #handle: SqliteHandle | undefined;
  #queue: AsyncSQLiteQueue | undefined;
  #results: AsyncSQLiteResultStorage | undefined;
  #events: AsyncSQLiteEventStorage | undefined;
  #closed = false;
  readonly #source: HandleSource;

  constructor(options: SQLiteBackendOptions) {
    if (options === null || typeof options !== "object") {
      throw new ConfigError("options", 'sqlite backend: expected options { path: "omniq.db" }');
    }
    if (options.path === undefined && options.database === undefined) {
      throw new ConfigError(
        "path",
        'sqlite backend: path: expected a file path or ":memory:" (or pass database)',
      );
    }
    this.#options = { ...options, atomicResults: options.atomicResults ?? true };
    this.#source = {
      handle: () => {
        if (this.#closed) throw new ClosedError("sqlite backend: used after close()");
        this.#handle ??= SqliteHandle.acquire(this.#options, () => {
          this.#handle = undefined;
        });
        return this.#handle.retain();
      },
      results: () => this.#results,
    };
  }

  /** The database file (or `:memory:`). */
  get path(): string {
    return this.#options.path ?? this.#options.database?.name ?? "";
  }

  queue(): AsyncSQLiteQueue {
    this.#assertOpen();
    this.#queue ??= new AsyncSQLiteQueue(this.#options, this.#source);
    return this.#queue;
  }

  results(): AsyncSQLiteResultStorage {
    this.#assertOpen();
    this.#results ??= new AsyncSQLiteResultStorage(this.#options, this.#source);
    return this.#results;
  }

  events(): AsyncSQLiteEventStorage {
    this.#assertOpen();
    this.#events ??= new AsyncSQLiteEventStorage(this.#options, this.#source);
    return this.#events;
  }

  /** Closes the components it built and the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#queue?.close(), this.#results?.close(), this.#events?.close()]);
    this.#handle?.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError("sqlite backend: used after close()");
  }
}
