import {
  ClosedError,
  BackendError,
  BaseEventStorage,
  ConfigError,
  decode,
  type EventQuery,
  type Page,
  type PreparedEvent,
  type TaskEvent,
  type TaskEventType,
  ValidationError,
} from "@omniq/core";
import { type HandleSource, SqliteHandle } from "./sqlite-handle.js";
import type { SQLiteEventStorageOptions } from "./sqlite-options.js";

interface EventRow {
  seq: number;
  id: string;
  task_id: string;
  type: string;
  at: number;
  queue: string;
  worker_id: string | null;
  attempt: number | null;
  data: string | null;
}

const INSERT_EVENT = `insert into events (id, task_id, type, at, queue, worker_id, attempt, data)
  values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing`;

/**
 * The task lifecycle log in SQLite: append-only, queried by task, queue, type and time
 * through indexes on `(task_id, at, id)`, `(type, at, id)`, `(queue, at, id)` and `(at, id)`;
 * `purge({ before })` is the retention.
 *
 * @example
 * ```ts
 * await using events = new AsyncSQLiteEventStorage({ path: "omniq.db" });
 * const { items } = await events.query({ taskId, order: "asc" });
 * await events.purge({ before: new Date(Date.now() - 7 * 86_400_000) });
 * ```
 */
export class AsyncSQLiteEventStorage extends BaseEventStorage {
  readonly #options: SQLiteEventStorageOptions;
  readonly #source: HandleSource | undefined;
  #handle: SqliteHandle | undefined;

  constructor(options: SQLiteEventStorageOptions, source?: HandleSource) {
    super("sqlite events");
    if (options === null || typeof options !== "object") {
      throw new ConfigError("options", 'sqlite events: expected options { path: "omniq.db" }');
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
    if (!h) throw new ClosedError("sqlite events: used after close()");
    return h;
  }

  protected async openStore(): Promise<void> {
    this.#handle = await SqliteHandle.open(this.#options, this.#source);
  }

  protected async closeStore(): Promise<void> {
    this.#handle?.release();
    this.#handle = undefined;
  }

  protected async writeEvents(events: readonly PreparedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const write = () => {
      const stmt = this.#h.prepare(INSERT_EVENT);
      for (const { event: e, dataJson } of events) {
        stmt.run(e.id, e.taskId, e.type, e.at.getTime(), e.queue, e.workerId, e.attempt, dataJson);
      }
    };
    await (events.length === 1 ? this.#h.run(write) : this.#h.write(write));
  }

  protected async queryEvents(
    query: EventQuery & { limit: number; order: "asc" | "desc" },
  ): Promise<Page<TaskEvent>> {
    const parts: string[] = [];
    const params: unknown[] = [];
    if (query.taskId !== undefined) {
      parts.push("task_id = ?");
      params.push(query.taskId);
    }
    if (query.queue !== undefined) {
      parts.push("queue = ?");
      params.push(query.queue);
    }
    if (query.types !== undefined) {
      if (query.types.length === 0) parts.push("0");
      else parts.push(`type in (${query.types.map(() => "?").join(", ")})`);
      params.push(...query.types);
    }
    if (query.since !== undefined) {
      parts.push("at >= ?");
      params.push(checkDate(query.since, "since"));
    }
    if (query.until !== undefined) {
      parts.push("at < ?");
      params.push(checkDate(query.until, "until"));
    }
    const desc = query.order === "desc";
    if (query.cursor !== undefined) {
      const [at, id] = parseCursor(query.cursor);
      const cmp = desc ? "<" : ">";
      parts.push(`(at ${cmp} ? or (at = ? and id ${cmp} ?))`);
      params.push(at, at, id);
    }
    const dir = desc ? "desc" : "asc";
    const where = parts.length === 0 ? "1" : parts.join(" and ");
    const sql = `select * from events where ${where} order by at ${dir}, id ${dir} limit ?`;
    const rows = (await this.#h.run(() =>
      this.#h.prepare(sql).all(...params, query.limit + 1),
    )) as EventRow[];
    const more = rows.length > query.limit;
    if (more) rows.length = query.limit;
    const last = rows.at(-1);
    return {
      items: rows.map(rowToEvent),
      nextCursor: more && last ? `${last.at}:${last.id}` : null,
    };
  }

  protected async purgeEvents(before: Date): Promise<number> {
    return this.#h.run(
      () => this.#h.prepare("delete from events where at < ?").run(before.getTime()).changes,
    );
  }
}

function checkDate(value: unknown, field: string): number {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(field, `${field}: expected a valid Date`);
  }
  return value.getTime();
}

function parseCursor(cursor: string): [number, string] {
  const m = typeof cursor === "string" ? /^(\d{1,15}):([A-Za-z0-9_.-]{1,128})$/.exec(cursor) : null;
  if (!m) {
    throw new ValidationError(
      "cursor",
      `cursor: expected the nextCursor of a previous page, got ${JSON.stringify(cursor)}`,
    );
  }
  return [Number(m[1]), m[2]!];
}

function rowToEvent(row: EventRow): TaskEvent {
  let data: Record<string, unknown> | null = null;
  if (row.data !== null) {
    try {
      data = decode<Record<string, unknown>>(row.data);
    } catch (err) {
      throw new BackendError(
        `sqlite: event ${row.id} of task ${row.task_id} has corrupt data JSON (${(err as Error).message})`,
        { cause: err },
      );
    }
  }
  return {
    id: row.id,
    taskId: row.task_id,
    type: row.type as TaskEventType,
    at: new Date(row.at),
    queue: row.queue,
    workerId: row.worker_id,
    attempt: row.attempt,
    data,
  };
}
