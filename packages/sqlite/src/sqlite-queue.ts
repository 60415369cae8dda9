import {
  BackendError,
  BaseQueue,
  type ClaimRequest,
  ClosedError,
  type CompleteManyItem,
  type CompleteOptions,
  ConfigError,
  LeaseLostError,
  type ChangeWatchingQueue,
  type ListOptions,
  NotFoundError,
  type Page,
  type PreparedResult,
  type PreparedTask,
  prepareResult,
  type PurgeOptions,
  type QueueCapabilities,
  type ResultSharingQueue,
  type ResultStorage,
  type Schedule,
  type ScheduleFiring,
  type SchedulePatch,
  type Task,
  type TaskFilter,
  type TaskGuard,
  type TaskPatch,
  type TaskStatus,
  ValidationError,
  validateId,
} from "@omniq/core";
import { ChangeWatcher } from "./change-watcher.js";
import { claimDueSchedules as claimInTransaction } from "./claim-schedules.js";
import { insertTasks as insertRows, readTask as readRow } from "./insert-tasks.js";
import { resultParams, UPSERT_RESULT } from "./result-row.js";
import * as schedules from "./schedule-store.js";
import { type HandleSource, SqliteHandle } from "./sqlite-handle.js";
import { samePath } from "./same-path.js";
import type { SQLiteQueueOptions } from "./sqlite-options.js";
import { AsyncSQLiteResultStorage } from "./sqlite-result-storage.js";
import { CorruptRowError, PATCH_COLUMNS, patchValue, rowToTask, type TaskRow } from "./task-row.js";
import {
  CLAIM,
  COMPLETE,
  COMPLETE_MANY,
  DELETE_TASK,
  DELETE_TASK_DEPS,
  EXPIRE,
  FAIL_CORRUPT,
  FIND_EXPIRED_LEASES,
  FIND_OVERDUE,
  filterSql,
  parseSeqCursor,
  RECOVER_FAIL,
  RECOVER_RETRY,
  SELECT_STATE,
  updateSql,
} from "./task-sql.js";

/** A handle source that knows which result storages share its connection (the URL factory's). */
interface LinkedSource extends HandleSource {
  sharesResults?(storage: ResultStorage): boolean;
}

/** Most rows one maintenance call changes (`recoverExpiredLeases`, `expireOverdue`). */
const MAINTENANCE_BATCH = 1000;

/**
 * The task queue on SQLite (better-sqlite3). Claims are one `UPDATE ... RETURNING` in a
 * `BEGIN IMMEDIATE` transaction, so any number of processes can share the file; tasks of a
 * crashed worker come back when their lease runs out (`recoverExpiredLeases`).
 *
 * @example
 * ```ts
 * await using queue = new AsyncSQLiteQueue({ path: "omniq.db" });
 * await queue.enqueue({ name: "email.send", args: ["ada@example.com"] });
 * const task = await queue.dequeue({ workerId: "w1", leaseMs: 30_000 });
 * if (task) await queue.complete(task.id, "w1");
 * ```
 */
export class AsyncSQLiteQueue extends BaseQueue implements ResultSharingQueue, ChangeWatchingQueue {
  readonly capabilities: QueueCapabilities;
  readonly #options: SQLiteQueueOptions;
  readonly #source: HandleSource | undefined;
  #handle: SqliteHandle | undefined;
  #watcher: ChangeWatcher | undefined;

  constructor(options: SQLiteQueueOptions, source?: HandleSource) {
    super("sqlite queue", options);
    if (options === null || typeof options !== "object") {
      throw new ConfigError("options", 'sqlite queue: expected options { path: "omniq.db" }');
    }
    this.#options = options;
    this.#source = source;
    const memory = options.path === ":memory:" || options.database?.memory === true;
    this.capabilities = {
      crossProcessClaims: !memory,
      atomicBatches: true,
      atomicResults: options.atomicResults === true,
    };
  }

  /** The database file (or `:memory:`). */
  get path(): string {
    return this.#options.path ?? this.#options.database?.name ?? "";
  }

  /**
   * Whether `results` is this queue's own results table (core's `ResultSharingQueue`): then
   * the worker passes each result to `complete(id, worker, { result })`, which writes it in
   * the task's completing transaction, instead of calling `results.set` afterwards. True,
   * when this queue has `atomicResults`, for the storage of the same `SQLiteBackend`, one
   * built from a `sqlite:` URL naming the same database (`:memory:` included), or an
   * `AsyncSQLiteResultStorage` on the same file (paths compared once resolved).
   */
  sharesResultStore(storage: ResultStorage): boolean {
    if (!this.capabilities.atomicResults) return false;
    if (!(storage instanceof AsyncSQLiteResultStorage)) return false;
    const source = this.#source as LinkedSource | undefined;
    if (source?.sharesResults) return source.sharesResults(storage);
    const linked = source?.results?.();
    if (linked) return linked === storage;
    return samePath(storage.path, this.path);
  }

  /**
   * Diagnostics of this queue's connection: SQLITE_BUSY errors retried asynchronously so far,
   * and the longest single synchronous database call (the longest the event loop was held).
   */
  connectionStats(): { busyRetries: number; longestCallMs: number } {
    return {
      busyRetries: this.#handle?.busyRetries ?? 0,
      longestCallMs: this.#handle?.longestCallMs ?? 0,
    };
  }

  /**
   * Calls `listener` when another process (or this one) may have written to the database
   * file, so an idle worker claims at once instead of at its next poll (core's
   * `ChangeWatchingQueue`; workers subscribe on start). It watches the file and its `-wal`
   * with `fs.watch`, one call per event-loop turn; `close()` stops it. A no-op on
   * `:memory:` (other processes cannot see it; this process's enqueues wake workers anyway).
   * Local filesystems only: on NFS/SMB no event arrives and workers poll as before.
   *
   * @example
   * ```ts
   * const stop = queue.watchChanges(() => console.log("the database changed"));
   * stop();
   * ```
   */
  watchChanges(listener: () => void): () => void {
    if (this.lifecycle.closed) throw new ClosedError("sqlite queue: used after close()");
    if (!this.capabilities.crossProcessClaims || this.path === "") return () => {};
    this.#watcher ??= new ChangeWatcher(this.path);
    return this.#watcher.subscribe(listener);
  }

  get #h(): SqliteHandle {
    const h = this.#handle;
    if (!h) throw new ClosedError("sqlite queue: used after close()");
    return h;
  }

  protected async openStore(): Promise<void> {
    this.#handle = await SqliteHandle.open(this.#options, this.#source);
  }

  protected async closeStore(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#handle?.release();
    this.#handle = undefined;
  }

  // ---- enqueue ----
  protected async insertTasks(tasks: readonly PreparedTask[]): Promise<Task[]> {
    if (tasks.length === 0) return [];
    const stored = await this.#h.write(() => insertRows(this.#h, tasks));
    if (stored === null) return tasks.map((p) => p.task);
    return tasks.map((p, i) => stored[i] ?? p.task);
  }

  // ---- reads ----
  protected async readTask(id: string): Promise<Task | null> {
    return this.#h.run(() => readRow(this.#h, id));
  }

  protected async listTasks(options: ListOptions & { limit: number }): Promise<Page<Task>> {
    const after = parseSeqCursor(options.cursor);
    const { where, params } = filterSql(options);
    const sql = `select * from tasks t where ${where} and t.seq > ? order by t.seq limit ?`;
    const rows = (await this.#h.run(() =>
      this.#h.prepare(sql).all(...params, after, options.limit + 1),
    )) as TaskRow[];
    const more = rows.length > options.limit;
    if (more) rows.length = options.limit;
    return {
      items: rows.map(rowToTask),
      nextCursor: more ? String(rows.at(-1)!.seq) : null,
    };
  }

  protected async countTasks(filter: TaskFilter): Promise<number> {
    const { where, params } = filterSql(filter);
    const sql = `select count(*) from tasks t where ${where}`;
    return (await this.#h.run(() =>
      this.#h
        .prepare(sql)
        .pluck()
        .get(...params),
    )) as number;
  }

  // ---- claim ----
  protected async claimTasks(request: ClaimRequest): Promise<Task[]> {
    const out: Task[] = [];
    let wanted = request.limit;
    // A row whose JSON does not parse is failed (with the error naming it) and the claim
    // runs again for what is still wanted, so one bad row never stalls the queue.
    for (let round = 0; round < 100 && wanted > 0; round++) {
      // One queue is one UPDATE statement, atomic on its own; several share a transaction.
      const claim = () => this.#claim(request, wanted);
      const rows = await (request.queues.length === 1 ? this.#h.run(claim) : this.#h.write(claim));
      if (rows.length === 0) break;
      const corrupt: Array<{ row: TaskRow; error: CorruptRowError }> = [];
      for (const row of rows) {
        try {
          out.push(rowToTask(row));
        } catch (err) {
          if (!(err instanceof CorruptRowError)) throw err;
          corrupt.push({ row, error: err });
        }
      }
      if (corrupt.length === 0) break;
      await this.#failCorrupt(corrupt, request.workerId);
      wanted -= rows.length - corrupt.length;
    }
    return out;
  }

  #claim(request: ClaimRequest, limit: number): TaskRow[] {
    const stmt = this.#h.prepare(CLAIM);
    const now = request.now.getTime();
    const leaseUntil = now + request.leaseMs;
    const out: TaskRow[] = [];
    for (const queue of request.queues) {
      const rows = stmt.all(
        request.workerId,
        leaseUntil,
        now,
        now,
        queue,
        now,
        now,
        limit - out.length,
      ) as TaskRow[];
      // RETURNING order is unspecified: restore dequeue order.
      if (rows.length > 1) rows.sort(dequeueOrder);
      for (const r of rows) out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  async #failCorrupt(
    corrupt: ReadonlyArray<{ row: TaskRow; error: CorruptRowError }>,
    workerId: string,
  ): Promise<void> {
    const now = Date.now();
    await this.#h.write(() => {
      const stmt = this.#h.prepare(FAIL_CORRUPT);
      for (const { row, error } of corrupt) {
        const lastError = JSON.stringify({
          name: error.name,
          message: error.message,
          retryable: false,
          kind: "corrupt",
        });
        stmt.run(now, now, lastError, row.seq, workerId);
      }
    });
    for (const { row } of corrupt) {
      await this.cascade({ id: row.id, status: "failed" } as Task);
    }
  }

  // ---- complete ----
  override async complete(
    id: string,
    workerId: string,
    options: CompleteOptions = {},
  ): Promise<Task> {
    await this.ready();
    validateId(id);
    const now = (options.now ?? new Date()).getTime();
    const result = this.#prepareResult(id, options, "result");
    const stmt = this.#h.prepare(COMPLETE);
    const row = (
      result
        ? await this.#h.write(() => {
            const r = stmt.get(now, now, id, workerId) as TaskRow | undefined;
            if (r) this.#h.prepare(UPSERT_RESULT).run(resultParams(result, r.queue, r.name));
            return r;
          })
        : await this.#h.run(() => stmt.get(now, now, id, workerId))
    ) as TaskRow | undefined;
    if (!row) throw await this.#leaseLost(id, workerId, "complete");
    return rowToTask(row);
  }

  /**
   * Completes the tasks (and writes their results, with `atomicResults`) in one transaction.
   * An entry is `null` where the worker had lost the lease; a task that no longer exists
   * throws {@link NotFoundError} after the others were completed.
   */
  override async completeMany(items: readonly CompleteManyItem[]): Promise<Array<Task | null>> {
    await this.ready();
    if (!Array.isArray(items)) {
      throw new ValidationError("items", "items: expected an array of { id, workerId }");
    }
    if (items.length === 0) return [];
    const prepared = items.map((item, i) => {
      validateId(item?.id, `items[${i}].id`);
      validateId(item.workerId, `items[${i}].workerId`);
      return this.#prepareResult(item.id, item, `items[${i}].result`);
    });
    const fallback = Date.now();
    const rows = await this.#h.write(() => {
      const many = completeManyRows(this.#h, items, prepared, fallback);
      if (many) return many;
      const stmt = this.#h.prepare(COMPLETE);
      const upsert = this.#h.prepare(UPSERT_RESULT);
      return items.map((item, i) => {
        const now = item.now?.getTime() ?? fallback;
        const r = stmt.get(now, now, item.id, item.workerId) as TaskRow | undefined;
        const result = prepared[i];
        if (r && result) upsert.run(resultParams(result, r.queue, r.name));
        return r ?? null;
      });
    });
    const out: Array<Task | null> = [];
    for (const [i, row] of rows.entries()) {
      if (row) {
        out.push(rowToTask(row));
        continue;
      }
      const err = await this.#leaseLost(items[i]!.id, items[i]!.workerId, "complete");
      if (!(err instanceof LeaseLostError)) throw err;
      out.push(null);
    }
    return out;
  }

  #prepareResult(id: string, options: CompleteOptions, field: string): PreparedResult | null {
    if (!this.capabilities.atomicResults || options.result === undefined) return null;
    const prepared = prepareResult(options.result, field);
    if (prepared.result.taskId !== id) {
      throw new ValidationError(
        `${field}.taskId`,
        `${field}.taskId: expected ${id} (the task being completed), got ${prepared.result.taskId}`,
      );
    }
    return prepared;
  }

  async #leaseLost(id: string, workerId: string, action: string): Promise<Error> {
    const state = (await this.#h.run(() => this.#h.prepare(SELECT_STATE).get(id))) as
      | { status: TaskStatus; worker_id: string | null }
      | undefined;
    if (!state) return new NotFoundError(`queue: task ${id} not found`, id);
    const holder = state.status === "running" ? ` by ${state.worker_id}` : "";
    return new LeaseLostError(
      `queue: worker ${workerId} cannot ${action} task ${id}: it no longer holds the lease (task is ${state.status}${holder})`,
      id,
    );
  }

  // ---- generic compare-and-set ----
  protected async updateTask(id: string, guard: TaskGuard, patch: TaskPatch): Promise<Task | null> {
    const keys = Object.keys(patch).filter((k) => patch[k as keyof TaskPatch] !== undefined);
    if (keys.length === 0) return this.readTask(id);
    for (const k of keys) {
      if (PATCH_COLUMNS[k] === undefined) {
        throw new BackendError(
          `sqlite queue: no column for task field ${k} (update @omniq/sqlite)`,
        );
      }
    }
    const params: unknown[] = keys.map((k) => patchValue(k, patch[k as keyof TaskPatch]));
    params.push(id, ...guard.statuses);
    if (guard.workerId !== undefined) params.push(guard.workerId);
    if (guard.leaseUntil !== undefined) params.push(guard.leaseUntil?.getTime() ?? null);
    const sql = updateSql(keys, guard);
    const row = (await this.#h.run(() => this.#h.prepare(sql).get(...params))) as
      | TaskRow
      | undefined;
    return row ? rowToTask(row) : null;
  }

  protected async deleteTask(id: string): Promise<boolean> {
    return this.#h.write(() => {
      this.#h.prepare(DELETE_TASK_DEPS).run(id);
      return this.#h.prepare(DELETE_TASK).run(id).changes > 0;
    });
  }

  protected async purgeTasks(
    options: PurgeOptions & { statuses: readonly TaskStatus[] },
  ): Promise<number> {
    if (options.statuses.length === 0) return 0;
    const parts = [`status in (${options.statuses.map(() => "?").join(", ")})`];
    const params: unknown[] = [...options.statuses];
    if (options.queue !== undefined) {
      parts.push("queue = ?");
      params.push(options.queue);
    }
    if (options.finishedBefore !== undefined) {
      if (!(options.finishedBefore instanceof Date)) {
        throw new ValidationError("finishedBefore", "finishedBefore: expected a Date");
      }
      parts.push("finished_at < ?");
      params.push(options.finishedBefore.getTime());
    }
    const where = parts.join(" and ");
    return this.#h.write(() => {
      this.#h
        .prepare(`delete from task_deps where task_id in (select id from tasks where ${where})`)
        .run(...params);
      return this.#h.prepare(`delete from tasks where ${where}`).run(...params).changes;
    });
  }

  // ---- maintenance, each in one statement ----
  override async recoverExpiredLeases(now: Date = new Date()): Promise<Task[]> {
    await this.ready();
    const t = now.getTime();
    const [retried, failed] = await this.#h.write(() => [
      this.#h.prepare(RECOVER_RETRY).all(t, t, t, MAINTENANCE_BATCH) as TaskRow[],
      this.#h.prepare(RECOVER_FAIL).all(t, t, t, MAINTENANCE_BATCH) as TaskRow[],
    ]);
    const out = decodeAll([...retried, ...failed]);
    for (const task of out) await this.cascade(task);
    return out;
  }

  override async expireOverdue(now: Date = new Date()): Promise<Task[]> {
    await this.ready();
    const t = now.getTime();
    const rows = (await this.#h.run(() =>
      this.#h.prepare(EXPIRE).all(t, t, t, MAINTENANCE_BATCH),
    )) as TaskRow[];
    const out = decodeAll(rows);
    for (const task of out) await this.cascade(task);
    return out;
  }

  protected async findExpiredLeases(now: Date, limit: number): Promise<Task[]> {
    const rows = await this.#h.run(() =>
      this.#h.prepare(FIND_EXPIRED_LEASES).all(now.getTime(), limit),
    );
    return decodeAll(rows as TaskRow[]);
  }

  protected async findOverdue(now: Date, limit: number): Promise<Task[]> {
    const rows = await this.#h.run(() => this.#h.prepare(FIND_OVERDUE).all(now.getTime(), limit));
    return decodeAll(rows as TaskRow[]);
  }

  // ---- schedules (src/schedule-store.ts) ----
  protected async putSchedule(schedule: Schedule): Promise<void> {
    await this.#h.run(() => schedules.putSchedule(this.#h, schedule));
  }

  protected async readSchedule(id: string): Promise<Schedule | null> {
    return this.#h.run(() => schedules.readSchedule(this.#h, id));
  }

  protected async listScheduleRows(status?: Schedule["status"]): Promise<Schedule[]> {
    return this.#h.run(() => schedules.listSchedules(this.#h, status));
  }

  protected async updateSchedule(
    id: string,
    patch: SchedulePatch,
    expectNextRunAt?: Date | null,
  ): Promise<Schedule | null> {
    return this.#h.run(() => schedules.updateSchedule(this.#h, id, patch, expectNextRunAt));
  }

  protected async deleteSchedule(id: string): Promise<boolean> {
    return this.#h.run(() => schedules.deleteSchedule(this.#h, id));
  }

  /**
   * Fires due ticks as core's `BaseQueue.claimDueSchedules` does (a compare-and-set on
   * `next_run_at`, so each tick fires once across processes), but advances the schedule and
   * inserts its task in ONE transaction: a crash cannot lose a tick between the two steps.
   * A schedule whose task cannot be built stays due; its error is thrown when nothing else
   * fired.
   */
  override async claimDueSchedules(now: Date = new Date()): Promise<ScheduleFiring[]> {
    await this.ready();
    const { fired, errors } = await this.#h.write(() =>
      claimInTransaction(this.#h, now, this.limits),
    );
    if (fired.length === 0 && errors.length > 0) throw errors[0];
    return fired;
  }

  protected async dueSchedules(now: Date, limit: number): Promise<Schedule[]> {
    return this.#h.run(() => schedules.dueSchedules(this.#h, now, limit));
  }
}

/**
 * The common batch (one worker, one time, no results to write, no repeated id) as one
 * `COMPLETE_MANY` statement; `null` when the batch is not that. Rows in `items` order, `null`
 * where the task was not completed.
 */
function completeManyRows(
  h: SqliteHandle,
  items: readonly CompleteManyItem[],
  prepared: ReadonlyArray<PreparedResult | null>,
  now: number,
): Array<TaskRow | null> | null {
  if (items.length < 2) return null;
  const workerId = items[0]!.workerId;
  const ids = new Set<string>();
  for (const [i, item] of items.entries()) {
    if (item.workerId !== workerId || item.now !== undefined || prepared[i]) return null;
    ids.add(item.id);
  }
  if (ids.size !== items.length) return null;
  const rows = h
    .prepare(COMPLETE_MANY)
    .all(now, now, JSON.stringify([...ids]), workerId) as TaskRow[];
  const byId = new Map<string, TaskRow>();
  for (const r of rows) byId.set(r.id, r);
  return items.map((item) => byId.get(item.id) ?? null);
}

function dequeueOrder(a: TaskRow, b: TaskRow): number {
  return b.priority - a.priority || a.run_at - b.run_at || a.seq - b.seq;
}

/** Rows changed by a maintenance statement; one with corrupt JSON is left out of the answer. */
function decodeAll(rows: readonly TaskRow[]): Task[] {
  const out: Task[] = [];
  for (const row of rows) {
    try {
      out.push(rowToTask(row));
    } catch (err) {
      if (!(err instanceof CorruptRowError)) throw err;
    }
  }
  return out;
}
