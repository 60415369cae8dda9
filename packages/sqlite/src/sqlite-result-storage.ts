import {
  ClosedError,
  BaseResultStorage,
  ConfigError,
  type Page,
  type PreparedResult,
  type ResultListOptions,
  type TaskResult,
} from "@omniq/core";
import { type ResultRow, resultParams, rowToResult, UPSERT_RESULT } from "./result-row.js";
import { type HandleSource, SqliteHandle } from "./sqlite-handle.js";
import type { SQLiteResultStorageOptions } from "./sqlite-options.js";
import { parseSeqCursor } from "./task-sql.js";

const LIVE = "(expires_at is null or expires_at > ?)";

/**
 * Task results in SQLite, by task id, with a TTL: an expired result reads as absent at once
 * and `purgeExpired()` deletes it (one indexed `DELETE`).
 *
 * @example
 * ```ts
 * await using results = new AsyncSQLiteResultStorage({ path: "omniq.db" });
 * const r = await results.get<number>(taskId); // TaskResult<number> | null
 * await results.purgeExpired();
 * ```
 */
export class AsyncSQLiteResultStorage extends BaseResultStorage {
  readonly #options: SQLiteResultStorageOptions;
  readonly #source: HandleSource | undefined;
  #handle: SqliteHandle | undefined;

  constructor(options: SQLiteResultStorageOptions, source?: HandleSource) {
    super("sqlite results");
    if (options === null || typeof options !== "object") {
      throw new ConfigError("options", 'sqlite results: expected options { path: "omniq.db" }');
    }
    this.#options = options;
    this.#source = source;
  }

  /** The database file (or `:memory:`). */
  get path(): string {
    return this.#options.path ?? this.#options.database?.name ?? "";
  }

  get #h(): SqliteHandle {
    const h = this.#handle;
    if (!h) throw new ClosedError("sqlite results: used after close()");
    return h;
  }

  protected async openStore(): Promise<void> {
    this.#handle = await SqliteHandle.open(this.#options, this.#source);
  }

  protected async closeStore(): Promise<void> {
    this.#handle?.release();
    this.#handle = undefined;
  }

  protected async writeResults(results: readonly PreparedResult[]): Promise<void> {
    if (results.length === 0) return;
    await this.#h.write(() => {
      const stmt = this.#h.prepare(UPSERT_RESULT);
      for (const r of results) stmt.run(resultParams(r));
    });
  }

  protected async readResults(
    taskIds: readonly string[],
    now: Date,
  ): Promise<Array<TaskResult | null>> {
    const t = now.getTime();
    const rows = await this.#h.run(() => {
      const stmt = this.#h.prepare(`select * from results where task_id = ? and ${LIVE}`);
      return taskIds.map((id) => stmt.get(id, t) as ResultRow | undefined);
    });
    return rows.map((row) => (row ? rowToResult(row) : null));
  }

  protected async deleteResult(taskId: string): Promise<boolean> {
    return this.#h.run(
      () => this.#h.prepare("delete from results where task_id = ?").run(taskId).changes > 0,
    );
  }

  protected async listResults(
    options: ResultListOptions & { limit: number },
    now: Date,
  ): Promise<Page<TaskResult>> {
    const parts = [LIVE, "seq > ?"];
    const params: unknown[] = [now.getTime(), parseSeqCursor(options.cursor)];
    if (options.queue !== undefined) {
      parts.push("queue = ?");
      params.push(options.queue);
    }
    if (options.status !== undefined) {
      parts.push("status = ?");
      params.push(options.status);
    }
    const sql = `select * from results where ${parts.join(" and ")} order by seq limit ?`;
    const rows = (await this.#h.run(() =>
      this.#h.prepare(sql).all(...params, options.limit + 1),
    )) as ResultRow[];
    const more = rows.length > options.limit;
    if (more) rows.length = options.limit;
    return {
      items: rows.map(rowToResult),
      nextCursor: more ? String(rows.at(-1)!.seq) : null,
    };
  }

  protected async purgeResults(now: Date): Promise<number> {
    return this.#h.run(
      () =>
        this.#h
          .prepare("delete from results where expires_at is not null and expires_at <= ?")
          .run(now.getTime()).changes,
    );
  }
}
