import { decode, encode } from "../codec.js";
import type { Page } from "../contracts/common.js";
import {
  BaseQueue,
  type BaseQueueOptions,
  type ClaimRequest,
  type TaskGuard,
} from "../contracts/base-queue.js";
import type {
  ListOptions,
  PurgeOptions,
  QueueCapabilities,
  TaskFilter,
} from "../contracts/queue-types.js";
import type { PreparedTask } from "../internal/normalize-task.js";
import type { Schedule, SchedulePatch } from "../models/schedule.js";
import type { Task, TaskPatch, TaskStatus } from "../models/task.js";
import { parseSeqCursor } from "./seq-cursor.js";

/** Options of {@link AsyncMemoryQueue}. */
export type AsyncMemoryQueueOptions = BaseQueueOptions;

interface Entry {
  /** Insertion sequence: the tie-breaker of dequeue order and the list cursor. */
  seq: number;
  task: Task;
}

const time = (d: Date | null | undefined): number | null => (d ? d.getTime() : null);

/**
 * A task queue held in this process's memory: the reference implementation of the
 * queue contract, and the fast store for unit tests. Nothing is shared between
 * instances or processes, and everything is gone after `close()`.
 *
 * @example
 * ```ts
 * await using queue = new AsyncMemoryQueue();
 * await queue.enqueue({ name: "email.send", args: ["a@example.com"] });
 * const task = await queue.dequeue({ workerId: "w1" });
 * ```
 */
export class AsyncMemoryQueue extends BaseQueue {
  readonly capabilities: QueueCapabilities = {
    crossProcessClaims: false,
    atomicBatches: true,
    atomicResults: false,
  };
  #seq = 0;
  readonly #tasks = new Map<string, Entry>();
  /** Pending tasks by queue: the only ones a claim looks at. */
  readonly #pending = new Map<string, Set<Entry>>();
  readonly #schedules = new Map<string, Schedule>();

  constructor(options: AsyncMemoryQueueOptions = {}) {
    super("memory queue", options);
  }

  protected async openStore(): Promise<void> {}

  protected async closeStore(): Promise<void> {
    this.#tasks.clear();
    this.#pending.clear();
    this.#schedules.clear();
  }

  protected async insertTasks(tasks: readonly PreparedTask[]): Promise<Task[]> {
    return tasks.map((p) => {
      const existing = this.#tasks.get(p.task.id);
      if (existing) return structuredClone(existing.task);
      const task: Task = structuredClone({ ...p.task, args: [], metadata: {} });
      task.args = decode<unknown[]>(p.argsJson);
      task.metadata = decode<Record<string, unknown>>(p.metadataJson);
      const entry: Entry = { seq: ++this.#seq, task };
      this.#tasks.set(task.id, entry);
      this.#index(entry);
      return structuredClone(task);
    });
  }

  protected async readTask(id: string): Promise<Task | null> {
    const entry = this.#tasks.get(id);
    return entry ? structuredClone(entry.task) : null;
  }

  protected async listTasks(options: ListOptions & { limit: number }): Promise<Page<Task>> {
    const after = options.cursor === undefined ? 0 : parseSeqCursor(options.cursor);
    const items: Task[] = [];
    let more = false;
    for (const entry of this.#tasks.values()) {
      if (entry.seq <= after || !matches(entry.task, options)) continue;
      if (items.length === options.limit) {
        more = true;
        break;
      }
      items.push(structuredClone(entry.task));
    }
    const last = items.at(-1);
    return {
      items,
      nextCursor: more && last ? String(this.#tasks.get(last.id)!.seq) : null,
    };
  }

  protected async countTasks(filter: TaskFilter): Promise<number> {
    let n = 0;
    for (const entry of this.#tasks.values()) if (matches(entry.task, filter)) n++;
    return n;
  }

  protected async claimTasks(request: ClaimRequest): Promise<Task[]> {
    const now = request.now.getTime();
    const claimed: Task[] = [];
    for (const queue of new Set(request.queues)) {
      if (claimed.length === request.limit) break;
      const due = [...(this.#pending.get(queue) ?? [])].filter((e) => this.#claimable(e.task, now));
      due.sort(
        (a, b) =>
          b.task.priority - a.task.priority ||
          a.task.runAt.getTime() - b.task.runAt.getTime() ||
          a.seq - b.seq,
      );
      for (const entry of due.slice(0, request.limit - claimed.length)) {
        this.#unindex(entry);
        Object.assign(entry.task, {
          status: "running",
          workerId: request.workerId,
          leaseUntil: new Date(now + request.leaseMs),
          startedAt: new Date(now),
          attempts: entry.task.attempts + 1,
          updatedAt: new Date(now),
        } satisfies TaskPatch);
        claimed.push(structuredClone(entry.task));
      }
    }
    return claimed;
  }

  #claimable(task: Task, now: number): boolean {
    if (task.status !== "pending" || task.runAt.getTime() > now) return false;
    if (task.expiresAt && task.expiresAt.getTime() <= now) return false;
    // A dependency that no longer exists was purged after it finished (a failed one would have
    // cancelled this task already) or deleted by hand: it no longer blocks.
    return task.dependsOn.every(
      (dep) => (this.#tasks.get(dep)?.task.status ?? "success") === "success",
    );
  }

  protected async updateTask(id: string, guard: TaskGuard, patch: TaskPatch): Promise<Task | null> {
    const entry = this.#tasks.get(id);
    if (!entry) return null;
    const task = entry.task;
    if (!guard.statuses.includes(task.status)) return null;
    if (guard.workerId !== undefined && task.workerId !== guard.workerId) return null;
    if (guard.leaseUntil !== undefined && time(task.leaseUntil) !== time(guard.leaseUntil))
      return null;
    const { progress, ...rest } = patch;
    const copy: TaskPatch = structuredClone(rest);
    // Progress is stored as a persistent backend would store it: through the codec.
    if ("progress" in patch)
      copy.progress = progress == null ? null : decode(encode(progress, "progress"));
    this.#unindex(entry);
    Object.assign(task, copy);
    this.#index(entry);
    return structuredClone(task);
  }

  protected async deleteTask(id: string): Promise<boolean> {
    const entry = this.#tasks.get(id);
    if (!entry) return false;
    this.#unindex(entry);
    this.#tasks.delete(id);
    return true;
  }

  protected async purgeTasks(
    options: PurgeOptions & { statuses: readonly TaskStatus[] },
  ): Promise<number> {
    const before = time(options.finishedBefore);
    let n = 0;
    for (const [id, { task }] of this.#tasks) {
      if (!options.statuses.includes(task.status)) continue;
      if (options.queue !== undefined && task.queue !== options.queue) continue;
      if (before !== null && (task.finishedAt === null || task.finishedAt.getTime() >= before))
        continue;
      this.#unindex(this.#tasks.get(id)!);
      this.#tasks.delete(id);
      n++;
    }
    return n;
  }

  protected async findExpiredLeases(now: Date, limit: number): Promise<Task[]> {
    const out: Task[] = [];
    for (const { task } of this.#tasks.values()) {
      if (out.length === limit) break;
      if (task.status === "running" && task.leaseUntil && task.leaseUntil.getTime() < now.getTime())
        out.push(structuredClone(task));
    }
    return out;
  }

  protected async findOverdue(now: Date, limit: number): Promise<Task[]> {
    const out: Task[] = [];
    for (const set of this.#pending.values()) {
      for (const { task } of set) {
        if (out.length === limit) return out;
        if (task.expiresAt && task.expiresAt.getTime() <= now.getTime())
          out.push(structuredClone(task));
      }
    }
    return out;
  }

  protected async putSchedule(schedule: Schedule): Promise<void> {
    this.#schedules.set(schedule.id, structuredClone(schedule));
  }

  protected async readSchedule(id: string): Promise<Schedule | null> {
    const s = this.#schedules.get(id);
    return s ? structuredClone(s) : null;
  }

  protected async listScheduleRows(status?: Schedule["status"]): Promise<Schedule[]> {
    return [...this.#schedules.values()]
      .filter((s) => status === undefined || s.status === status)
      .map((s) => structuredClone(s));
  }

  protected async updateSchedule(
    id: string,
    patch: SchedulePatch,
    expectNextRunAt?: Date | null,
  ): Promise<Schedule | null> {
    const s = this.#schedules.get(id);
    if (!s) return null;
    if (
      expectNextRunAt !== undefined &&
      (s.status !== "active" || time(s.nextRunAt) !== time(expectNextRunAt))
    ) {
      return null;
    }
    Object.assign(s, structuredClone(patch));
    return structuredClone(s);
  }

  protected async deleteSchedule(id: string): Promise<boolean> {
    return this.#schedules.delete(id);
  }

  protected async dueSchedules(now: Date, limit: number): Promise<Schedule[]> {
    return [...this.#schedules.values()]
      .filter((s) => s.status === "active" && s.nextRunAt && s.nextRunAt <= now)
      .sort((a, b) => a.nextRunAt!.getTime() - b.nextRunAt!.getTime())
      .slice(0, limit)
      .map((s) => structuredClone(s));
  }

  #index(entry: Entry): void {
    if (entry.task.status !== "pending") return;
    const set = this.#pending.get(entry.task.queue);
    if (set) set.add(entry);
    else this.#pending.set(entry.task.queue, new Set([entry]));
  }

  #unindex(entry: Entry): void {
    this.#pending.get(entry.task.queue)?.delete(entry);
  }
}

function matches(task: Task, filter: TaskFilter): boolean {
  if (filter.queue !== undefined && task.queue !== filter.queue) return false;
  if (filter.statuses !== undefined && !filter.statuses.includes(task.status)) return false;
  if (filter.name !== undefined && task.name !== filter.name) return false;
  if (filter.dependsOn !== undefined && !task.dependsOn.includes(filter.dependsOn)) return false;
  if (filter.scheduleId !== undefined && task.scheduleId !== filter.scheduleId) return false;
  return true;
}
