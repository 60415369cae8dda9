import {
  BaseQueue,
  type BaseQueueOptions,
  type ClaimRequest,
  type ListOptions,
  type Page,
  type PreparedTask,
  type PurgeOptions,
  type QueueCapabilities,
  type Schedule,
  type SchedulePatch,
  type Task,
  type TaskFilter,
  type TaskGuard,
  type TaskPatch,
  type TaskStatus,
} from "@omniq/core";
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
import { TaskStore } from "./internal/task-store.js";
import { checkTargetOptions, type FileTargetOptions, targetKindOf } from "./target-options.js";
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
}

export const FILE_QUEUE_DEFAULTS = {
  pageSize: 1000,
  listCacheMs: 200,
} as const satisfies Required<Pick<FileQueueOptions, "pageSize" | "listCacheMs">>;

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
export class AsyncFileQueue extends BaseQueue {
  readonly capabilities: QueueCapabilities;
  readonly #options: FileQueueOptions;
  #shared: SharedStore | undefined;
  #tasks: TaskStore | undefined;
  #schedules: ScheduleStore | undefined;

  constructor(options: FileQueueOptions) {
    super("file queue", options);
    checkTargetOptions(options, "file queue");
    this.#options = { ...options };
    const t = options.target;
    const cross =
      t && typeof (t as StorageTarget).read === "function"
        ? (t as StorageTarget).capabilities.crossProcess
        : CROSS_PROCESS[targetKindOf(options)];
    this.capabilities = { crossProcessClaims: cross, atomicBatches: false, atomicResults: false };
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
    });
    this.#schedules = new ScheduleStore(shared.json, shared.state);
  }

  protected async closeStore(): Promise<void> {
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
    return this.#tasks!.update(id, guard, patch);
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
