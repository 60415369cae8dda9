import {
  BaseQueue,
  type BaseQueueOptions,
  type ClaimRequest,
  type CompleteManyItem,
  type CompleteOptions,
  LeaseLostError,
  type ListOptions,
  type Page,
  type PreparedTask,
  prepareResult,
  type PurgeOptions,
  type QueueCapabilities,
  type ResultSharingQueue,
  type ResultStorage,
  type Schedule,
  type SchedulePatch,
  type Task,
  type TaskFilter,
  type TaskGuard,
  type TaskPatch,
  type TaskStatus,
  ValidationError,
} from "@omniq/core";
import { AsyncFileResultStorage } from "./file-result-storage.js";
import { inLanes } from "./internal/lanes.js";
import { openShared, type SharedStore } from "./internal/open-store.js";
import { ScheduleStore } from "./internal/schedule-store.js";
import {
  countTasks,
  findExpiredLeases,
  findOverdue,
  listTasks,
  purgeTasks,
} from "./internal/task-scan.js";
import { toTask } from "./internal/task-record.js";
import { type EmbeddedResult, TaskStore } from "./internal/task-store.js";
import {
  checkTargetOptions,
  type FileTargetOptions,
  locationOf,
  targetKindOf,
} from "./target-options.js";
import type { StorageTarget } from "./targets/storage-target.js";

/** Options of {@link AsyncFileQueue} (and its blocking twin {@link FileQueue}). */
export interface FileQueueOptions extends BaseQueueOptions, FileTargetOptions {
  /** Due tasks read per listing of a queue. @defaultValue 1000 */
  pageSize?: number;
  /**
   * How long a listing is trusted before a claim lists again: tasks enqueued by other
   * processes become claimable after at most this long. Tasks enqueued in this process
   * are claimable at once. @defaultValue 200
   */
  listCacheMs?: number;
  /**
   * Requests in flight at once when one call handles several tasks: the claims of a
   * `dequeueMany` (a worker claims its free slots plus what it claims ahead), the completions
   * of a `completeMany`, the writes of an `enqueueMany`, the reads of `count`, `list` and
   * `purge`. On an object store each is a round trip; `1` sends them one by one (e.g. for a
   * store that throttles). @defaultValue 16
   */
  requestConcurrency?: number;
}

export const FILE_QUEUE_DEFAULTS = {
  pageSize: 1000,
  listCacheMs: 200,
  requestConcurrency: 16,
} as const satisfies Required<
  Pick<FileQueueOptions, "pageSize" | "listCacheMs" | "requestConcurrency">
>;

/** An integer option within `[min, max]`, or a ValidationError naming it. */
function intOption(value: number | undefined, name: string, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      name,
      `file queue: ${name}: expected an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
}

const CROSS_PROCESS: Record<StorageTarget["kind"], boolean> = {
  memory: false,
  zenfs: false,
  local: true,
  s3: true,
  azure: true,
  gcs: true,
};

/**
 * A task queue of JSON files on a storage target: local disk, memory, S3, Azure Blob, GCS
 * or a zenfs filesystem. Claims are atomic across processes and machines on every target
 * but memory and zenfs (see the README for the protocol and the request counts).
 *
 * @example
 * ```ts
 * await using queue = new AsyncFileQueue({ baseDir: "./omniq-data" });
 * await queue.enqueue({ name: "email.send", args: ["a@example.com"] });
 * const task = await queue.dequeue({ workerId: "w1" });
 * await queue.complete(task!.id, "w1");
 * ```
 */
export class AsyncFileQueue extends BaseQueue implements ResultSharingQueue {
  readonly capabilities: QueueCapabilities;
  readonly #options: FileQueueOptions;
  /** Results passed to `complete()`, by `<id>\n<workerId>`, for the record swap to embed. */
  readonly #results = new Map<string, EmbeddedResult>();
  #shared: SharedStore | undefined;
  #tasks: TaskStore | undefined;
  #schedules: ScheduleStore | undefined;

  constructor(options: FileQueueOptions) {
    super("file queue", options);
    checkTargetOptions(options, "file queue");
    intOption(options.pageSize, "pageSize", 1, 1000);
    intOption(options.listCacheMs, "listCacheMs", 0, 3_600_000);
    intOption(options.requestConcurrency, "requestConcurrency", 1, 256);
    this.#options = { ...options };
    const t = options.target;
    const cross =
      t && typeof (t as StorageTarget).read === "function"
        ? (t as StorageTarget).capabilities.crossProcess
        : CROSS_PROCESS[targetKindOf(options)];
    this.capabilities = { crossProcessClaims: cross, atomicBatches: false, atomicResults: true };
  }

  /**
   * Whether `results` reads this queue's store (core's `ResultSharingQueue`): an
   * {@link AsyncFileResultStorage} on the same target, URL or directory. For those the
   * worker passes each result to `complete(id, worker, { result })`, which writes it into
   * the task's final record in the same request (the result storage reads it from there).
   */
  sharesResultStore(results: ResultStorage): boolean {
    if (!(results instanceof AsyncFileResultStorage)) return false;
    const mine = this.target;
    const theirs = results.target;
    if (mine && theirs) return mine.id === theirs.id;
    const a = locationOf(this.#options);
    return a !== null && a === results.location;
  }

  /**
   * Completes the task; with `result`, the result is written into the task's final record by
   * the same compare-and-swap (one request for both; see `sharesResultStore`).
   */
  override async complete(
    id: string,
    workerId: string,
    options: CompleteOptions = {},
  ): Promise<Task> {
    if (options.result === undefined) return super.complete(id, workerId, options);
    const { result, json } = prepareResult(options.result, "result");
    if (result.taskId !== id) {
      throw new ValidationError(
        "result.taskId",
        `result.taskId: expected ${id} (the task being completed), got ${result.taskId}`,
      );
    }
    const slot = `${id}\n${workerId}`;
    this.#results.set(slot, { json, expiresAt: result.expiresAt?.getTime() ?? null });
    try {
      return await super.complete(id, workerId, options);
    } finally {
      this.#results.delete(slot);
    }
  }

  /**
   * Completes several tasks, up to `requestConcurrency` at a time (each is a conditional
   * write: on an object store, one by one would cost a round trip per task). Results in input
   * order; `null` for a task whose lease this worker no longer holds. Another error is thrown
   * once every completion has settled (those that succeeded stay completed).
   */
  override async completeMany(items: readonly CompleteManyItem[]): Promise<Array<Task | null>> {
    // One at a time for a single item, or when an id repeats (the result slot of a task is
    // keyed by id and worker, so two completions of one task must not overlap).
    if (items.length <= 1 || new Set(items.map((i) => i.id)).size < items.length) {
      return super.completeMany(items);
    }
    const lanes = this.#options.requestConcurrency ?? FILE_QUEUE_DEFAULTS.requestConcurrency;
    return inLanes(items, lanes, async (item) => {
      try {
        return await this.complete(item.id, item.workerId, item);
      } catch (err) {
        if (err instanceof LeaseLostError) return null;
        throw err;
      }
    });
  }

  /** The storage target, once opened (after the first operation or `init()`). */
  get target(): StorageTarget | undefined {
    return this.#shared?.handle.target;
  }

  protected async openStore(): Promise<void> {
    const shared = await openShared(this.#options, "file queue");
    this.#shared = shared;
    this.#tasks = new TaskStore(shared.handle.target, shared.json, shared.state, {
      pageSize: this.#options.pageSize ?? FILE_QUEUE_DEFAULTS.pageSize,
      listCacheMs: this.#options.listCacheMs ?? FILE_QUEUE_DEFAULTS.listCacheMs,
      lanes: this.#options.requestConcurrency ?? FILE_QUEUE_DEFAULTS.requestConcurrency,
    });
    this.#schedules = new ScheduleStore(shared.json, shared.state);
  }

  protected async closeStore(): Promise<void> {
    await this.#tasks?.flush();
    await this.#shared?.release();
    this.#shared = undefined;
  }

  protected insertTasks(tasks: readonly PreparedTask[]): Promise<Task[]> {
    return this.#tasks!.insert(tasks);
  }

  protected async readTask(id: string): Promise<Task | null> {
    const raw = await this.#tasks!.get(id);
    return raw ? toTask(raw) : null;
  }

  protected listTasks(options: ListOptions & { limit: number }): Promise<Page<Task>> {
    return listTasks(this.#tasks!, options);
  }

  protected countTasks(filter: TaskFilter): Promise<number> {
    return countTasks(this.#tasks!, filter);
  }

  protected claimTasks(request: ClaimRequest): Promise<Task[]> {
    return this.#tasks!.claim(request);
  }

  protected updateTask(id: string, guard: TaskGuard, patch: TaskPatch): Promise<Task | null> {
    const result =
      patch.status === "success" && guard.workerId !== undefined && this.#results.size > 0
        ? this.#results.get(`${id}\n${guard.workerId}`)
        : undefined;
    return this.#tasks!.update(id, guard, patch, result);
  }

  protected deleteTask(id: string): Promise<boolean> {
    return this.#tasks!.remove(id);
  }

  protected purgeTasks(
    options: PurgeOptions & { statuses: readonly TaskStatus[] },
  ): Promise<number> {
    return purgeTasks(this.#tasks!, options);
  }

  protected findExpiredLeases(now: Date, limit: number): Promise<Task[]> {
    return findExpiredLeases(this.#tasks!, now, limit);
  }

  protected findOverdue(now: Date, limit: number): Promise<Task[]> {
    return findOverdue(this.#tasks!, now, limit);
  }

  protected putSchedule(schedule: Schedule): Promise<void> {
    return this.#schedules!.put(schedule);
  }

  protected readSchedule(id: string): Promise<Schedule | null> {
    return this.#schedules!.read(id);
  }

  protected listScheduleRows(status?: Schedule["status"]): Promise<Schedule[]> {
    return this.#schedules!.list(status);
  }

  protected updateSchedule(
    id: string,
    patch: SchedulePatch,
    expectNextRunAt?: Date | null,
  ): Promise<Schedule | null> {
    return this.#schedules!.update(id, patch, expectNextRunAt);
  }

  protected deleteSchedule(id: string): Promise<boolean> {
    return this.#schedules!.delete(id);
  }

  protected dueSchedules(now: Date, limit: number): Promise<Schedule[]> {
    return this.#schedules!.due(now, limit);
  }
}
