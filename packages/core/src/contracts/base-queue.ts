import { ConflictError, LeaseLostError, NotFoundError, ValidationError } from "../errors.js";
import { didYouMean } from "../config/did-you-mean.js";
import { describe, validateId, validateQueueName } from "../ids.js";
import { Lifecycle } from "../internal/lifecycle.js";
import {
  DEFAULT_TASK_LIMITS,
  type PreparedTask,
  prepareTask,
  type TaskLimits,
} from "../internal/normalize-task.js";
import { prepareSchedule, schedulesEqual } from "../internal/normalize-schedule.js";
import type { NewSchedule, Schedule, SchedulePatch } from "../models/schedule.js";
import type { NewTask, Task, TaskPatch, TaskStatus } from "../models/task.js";
import { FINAL_STATUSES, TASK_STATUSES } from "../models/task.js";
import { assertTransition, TRANSITIONS, type TaskAction } from "../models/transitions.js";
import { nextTick } from "../schedule-clock.js";
import type { Page } from "./common.js";
import type {
  CompleteManyItem,
  CompleteOptions,
  DequeueManyOptions,
  DequeueOptions,
  FailOptions,
  ListOptions,
  PurgeOptions,
  QueueCapabilities,
  ScheduleFiring,
  TaskFilter,
  TaskQueue,
} from "./queue-types.js";

/** What a backend's claim primitive receives, already validated. */
export interface ClaimRequest {
  queues: readonly string[];
  workerId: string;
  leaseMs: number;
  limit: number;
  now: Date;
}

/** Compare-and-set condition of {@link BaseQueue.updateTask}: every given field must match. */
export interface TaskGuard {
  statuses: readonly TaskStatus[];
  workerId?: string;
  leaseUntil?: Date | null;
}

export interface BaseQueueOptions {
  /** Lease length when `dequeue` is not told. @defaultValue 30_000 */
  defaultLeaseMs?: number;
  limits?: Partial<TaskLimits>;
}

const DEFAULT_LEASE_MS = 30_000;

const FILTER_KEYS = ["queue", "statuses", "name", "dependsOn", "scheduleId"] as const;
const LIST_KEYS: readonly string[] = [...FILTER_KEYS, "limit", "cursor"];
const PURGE_KEYS: readonly string[] = ["queue", "statuses", "finishedBefore"];

/** Rejects keys not in `known` (keys set to `undefined` are ignored), with a did-you-mean. */
function checkKeys(options: unknown, known: readonly string[], method: string): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ValidationError(
      "options",
      `queue.${method}: expected an options object, got ${describe(options)}`,
    );
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || known.includes(key)) continue;
    throw new ValidationError(
      key,
      `queue.${method}: unknown option ${JSON.stringify(key)}${didYouMean(key, known)} (known: ${known.join(", ")})`,
    );
  }
}

/** An array of task statuses, each one of `allowed`. */
function checkStatuses(value: unknown, allowed: readonly TaskStatus[]): TaskStatus[] {
  if (!Array.isArray(value)) {
    const hint = typeof value === "string" ? ` (use statuses: [${JSON.stringify(value)}])` : "";
    throw new ValidationError(
      "statuses",
      `statuses: expected an array of task statuses, got ${describe(value)}${hint}`,
    );
  }
  return value.map((s: unknown, i) => {
    if (typeof s === "string" && (allowed as readonly string[]).includes(s)) return s as TaskStatus;
    const field = `statuses[${i}]`;
    const shown = typeof s === "string" ? JSON.stringify(s) : describe(s);
    throw new ValidationError(
      field,
      `${field}: expected one of ${allowed.join(", ")}, got ${shown}${typeof s === "string" ? didYouMean(s, allowed) : ""}`,
    );
  });
}

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/**
 * The shared part of every queue backend: validation, the transition table, dependency
 * cascades, schedules, and the lifecycle (init once, refuse use after close). A backend
 * extends it and implements the storage primitives (`insertTasks`, `claimTasks`,
 * `updateTask`, ...); it may override a public method where its store does better.
 *
 * @example
 * ```ts
 * class AsyncMyQueue extends BaseQueue {
 *   readonly capabilities = { crossProcessClaims: true, atomicBatches: true, atomicResults: false };
 *   protected async openStore() { ... }
 *   // ... the other primitives
 * }
 * ```
 */
export abstract class BaseQueue implements TaskQueue {
  abstract readonly capabilities: QueueCapabilities;
  protected readonly lifecycle: Lifecycle;
  protected readonly limits: TaskLimits;
  protected readonly defaultLeaseMs: number;

  constructor(label: string, options: BaseQueueOptions = {}) {
    this.lifecycle = new Lifecycle(label, () => this.openStore());
    this.limits = { ...DEFAULT_TASK_LIMITS, ...options.limits };
    this.defaultLeaseMs = options.defaultLeaseMs ?? DEFAULT_LEASE_MS;
  }

  // ---- storage primitives a backend implements ----
  protected abstract openStore(): Promise<void>;
  protected abstract closeStore(): Promise<void>;
  /** Inserts tasks; an id that already exists is left alone and the stored task returned in its place. */
  protected abstract insertTasks(tasks: readonly PreparedTask[]): Promise<Task[]>;
  protected abstract readTask(id: string): Promise<Task | null>;
  /** Insertion order; `limit` is set. */
  protected abstract listTasks(options: ListOptions & { limit: number }): Promise<Page<Task>>;
  protected abstract countTasks(filter: TaskFilter): Promise<number>;
  /**
   * Atomically claims up to `limit` due tasks: pending, `runAt <= now`, not expired,
   * every dependency `success`; from the queues in the order given, then priority desc,
   * runAt asc, insertion order. Sets status `running`, `workerId`, `leaseUntil`,
   * `startedAt`, `attempts + 1`.
   */
  protected abstract claimTasks(request: ClaimRequest): Promise<Task[]>;
  /** Compare-and-set: applies `patch` when the guard matches, else returns `null`. */
  protected abstract updateTask(
    id: string,
    guard: TaskGuard,
    patch: TaskPatch,
  ): Promise<Task | null>;
  protected abstract deleteTask(id: string): Promise<boolean>;
  protected abstract purgeTasks(
    options: PurgeOptions & { statuses: readonly TaskStatus[] },
  ): Promise<number>;
  /** Running tasks whose lease ended before `now`. */
  protected abstract findExpiredLeases(now: Date, limit: number): Promise<Task[]>;
  /** Pending tasks whose `expiresAt <= now`. */
  protected abstract findOverdue(now: Date, limit: number): Promise<Task[]>;
  /** Inserts or replaces a schedule. */
  protected abstract putSchedule(schedule: Schedule): Promise<void>;
  protected abstract readSchedule(id: string): Promise<Schedule | null>;
  protected abstract listScheduleRows(status?: Schedule["status"]): Promise<Schedule[]>;
  /**
   * Compare-and-set on `nextRunAt` when `expectNextRunAt` is given (`undefined`: unconditional):
   * it then also requires the schedule to be `active`, so a tick of a schedule paused since it
   * was read as due is never claimed.
   */
  protected abstract updateSchedule(
    id: string,
    patch: SchedulePatch,
    expectNextRunAt?: Date | null,
  ): Promise<Schedule | null>;
  protected abstract deleteSchedule(id: string): Promise<boolean>;
  /** Active schedules with `nextRunAt <= now`. */
  protected abstract dueSchedules(now: Date, limit: number): Promise<Schedule[]>;

  // ---- lifecycle ----
  /** Opens the store (runs migrations); called by every operation, so optional. */
  async init(): Promise<void> {
    await this.lifecycle.ensure();
  }

  protected ready(): Promise<void> | undefined {
    return this.lifecycle.ensure();
  }

  async close(): Promise<void> {
    await this.lifecycle.close(() => this.closeStore());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- enqueue ----
  async enqueue(task: NewTask): Promise<Task> {
    const [out] = await this.enqueueMany([task], "task");
    return out!;
  }

  async enqueueMany(tasks: readonly NewTask[], label = "tasks"): Promise<Task[]> {
    await this.ready();
    if (!Array.isArray(tasks))
      throw new ValidationError(label, `${label}: expected an array of tasks`);
    const now = new Date();
    const prepared = tasks.map((t, i) =>
      prepareTask(t, now, this.limits, label === "task" ? "" : `${label}[${i}]`),
    );
    await this.gateDependencies(prepared, now);
    return this.insertTasks(prepared);
  }

  /** Dependencies must exist (stored or in the same batch); a dead dependency cancels the task at once. */
  private async gateDependencies(prepared: PreparedTask[], now: Date): Promise<void> {
    if (!prepared.some((p) => p.task.dependsOn.length > 0)) return;
    const batchIds = new Set(prepared.map((p) => p.task.id));
    const known = new Map<string, TaskStatus>();
    for (const [i, p] of prepared.entries()) {
      for (const [j, dep] of p.task.dependsOn.entries()) {
        if (batchIds.has(dep)) continue;
        let status = known.get(dep);
        if (status === undefined) {
          const stored = await this.readTask(dep);
          if (!stored) {
            const field = prepared.length === 1 ? `dependsOn[${j}]` : `tasks[${i}].dependsOn[${j}]`;
            throw new ValidationError(field, `${field}: task ${dep} does not exist`);
          }
          status = stored.status;
          known.set(dep, status);
        }
        if (status === "failed" || status === "cancelled" || status === "expired") {
          p.task.status = "cancelled";
          p.task.finishedAt = now;
          p.task.cancelReason = `dependency ${dep} ${status}`;
        }
      }
    }
  }

  // ---- claim and the running task ----
  async dequeue(options: DequeueOptions): Promise<Task | null> {
    const [task] = await this.dequeueMany({ ...options, limit: 1 });
    return task ?? null;
  }

  async dequeueMany(options: DequeueManyOptions): Promise<Task[]> {
    await this.ready();
    const workerId = validateId(options?.workerId, "workerId");
    const queues = (options.queues ?? ["default"]).map((q, i) =>
      validateQueueName(q, `queues[${i}]`),
    );
    if (queues.length === 0)
      throw new ValidationError("queues", "queues: expected at least one queue name");
    const limit = options.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new ValidationError(
        "limit",
        `limit: expected an integer from 1 to 10000, got ${String(limit)}`,
      );
    }
    const leaseMs = this.checkLease(options.leaseMs);
    return this.claimTasks({ queues, workerId, leaseMs, limit, now: options.now ?? new Date() });
  }

  private checkLease(leaseMs: number | undefined): number {
    const ms = leaseMs ?? this.defaultLeaseMs;
    if (!Number.isInteger(ms) || ms < 1) {
      throw new ValidationError(
        "leaseMs",
        `leaseMs: expected a positive integer, got ${String(ms)}`,
      );
    }
    return ms;
  }

  async heartbeat(id: string, workerId: string, leaseMs?: number): Promise<Task> {
    await this.ready();
    const now = new Date();
    const ms = this.checkLease(leaseMs);
    return this.guarded("heartbeat", id, workerId, {
      leaseUntil: new Date(now.getTime() + ms),
      updatedAt: now,
    });
  }

  async setProgress(id: string, workerId: string, progress: unknown): Promise<Task> {
    await this.ready();
    return this.guarded("progress", id, workerId, { progress, updatedAt: new Date() });
  }

  async complete(id: string, workerId: string, options: CompleteOptions = {}): Promise<Task> {
    await this.ready();
    const now = options.now ?? new Date();
    return this.guarded("complete", id, workerId, {
      status: TRANSITIONS.complete.to,
      finishedAt: now,
      updatedAt: now,
      leaseUntil: null,
    });
  }

  async completeMany(items: readonly CompleteManyItem[]): Promise<Array<Task | null>> {
    const out: Array<Task | null> = [];
    for (const item of items) {
      try {
        out.push(await this.complete(item.id, item.workerId, item));
      } catch (err) {
        if (err instanceof LeaseLostError) out.push(null);
        else throw err;
      }
    }
    return out;
  }

  async fail(id: string, workerId: string, options: FailOptions): Promise<Task> {
    await this.ready();
    const now = options.now ?? new Date();
    if (options.retryAt) {
      return this.guarded("retry", id, workerId, {
        status: TRANSITIONS.retry.to,
        runAt: options.retryAt,
        lastError: options.error,
        updatedAt: now,
        leaseUntil: null,
        workerId: null,
      });
    }
    const task = await this.guarded("fail", id, workerId, {
      status: TRANSITIONS.fail.to,
      lastError: options.error,
      finishedAt: now,
      updatedAt: now,
      leaseUntil: null,
    });
    await this.cascade(task);
    return task;
  }

  async release(id: string, workerId: string, options: { runAt?: Date } = {}): Promise<Task> {
    await this.ready();
    const current = await this.readTask(validateId(id));
    if (current?.status !== "running" || current.workerId !== workerId) {
      throw this.leaseLost(id, workerId, current);
    }
    const now = new Date();
    const task = await this.updateTask(
      id,
      { statuses: TRANSITIONS.release.from, workerId, leaseUntil: current.leaseUntil },
      {
        status: TRANSITIONS.release.to,
        attempts: Math.max(0, current.attempts - 1),
        runAt: options.runAt ?? now,
        updatedAt: now,
        leaseUntil: null,
        workerId: null,
      },
    );
    if (!task) throw this.leaseLost(id, workerId, await this.readTask(id));
    return task;
  }

  /** Applies a worker-held change; a miss is a {@link LeaseLostError} (or {@link NotFoundError}). */
  private async guarded(
    action: string,
    id: string,
    workerId: string,
    patch: TaskPatch,
  ): Promise<Task> {
    const task = await this.updateTask(validateId(id), { statuses: ["running"], workerId }, patch);
    if (task) return task;
    const current = await this.readTask(id);
    throw this.leaseLost(id, workerId, current, action);
  }

  private leaseLost(id: string, workerId: string, current: Task | null, action = "use"): Error {
    if (!current) return new NotFoundError(`queue: task ${id} not found`, id);
    const holder = current.status === "running" ? ` by ${current.workerId}` : "";
    return new LeaseLostError(
      `queue: worker ${workerId} cannot ${action} task ${id}: it no longer holds the lease (task is ${current.status}${holder})`,
      id,
    );
  }

  // ---- reads ----
  async get(id: string): Promise<Task | null> {
    await this.ready();
    return this.readTask(validateId(id));
  }

  /**
   * One page of tasks matching the filter, in insertion order. An unknown key (say `status`
   * for `statuses`) is a {@link ValidationError} naming it, so a typo never lists everything.
   */
  async list(options: ListOptions = {}): Promise<Page<Task>> {
    await this.ready();
    checkKeys(options, LIST_KEYS, "list");
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new ValidationError(
        "limit",
        `limit: expected an integer from 1 to 10000, got ${String(limit)}`,
      );
    }
    return this.listTasks({
      ...this.checkFilter(options),
      cursor: options.cursor,
      limit,
    } as ListOptions & {
      limit: number;
    });
  }

  /**
   * Tasks matching the filter. Unknown keys are a {@link ValidationError}; `list`'s paging
   * keys (`limit`, `cursor`) are accepted and ignored, so one options object serves both.
   */
  async count(filter: TaskFilter = {}): Promise<number> {
    await this.ready();
    checkKeys(filter, LIST_KEYS, "count");
    return this.countTasks(this.checkFilter(filter));
  }

  private checkFilter(filter: TaskFilter): TaskFilter {
    const out: TaskFilter = {};
    if (filter.queue !== undefined) out.queue = validateQueueName(filter.queue);
    if (filter.statuses !== undefined) out.statuses = checkStatuses(filter.statuses, TASK_STATUSES);
    if (filter.name !== undefined) {
      if (typeof filter.name !== "string") {
        throw new ValidationError(
          "name",
          `name: expected a task name, got ${describe(filter.name)}`,
        );
      }
      out.name = filter.name;
    }
    if (filter.dependsOn !== undefined) out.dependsOn = validateId(filter.dependsOn, "dependsOn");
    if (filter.scheduleId !== undefined)
      out.scheduleId = validateId(filter.scheduleId, "scheduleId");
    return out;
  }

  // ---- operator actions ----
  async cancel(id: string, reason = "cancelled"): Promise<Task> {
    await this.ready();
    return this.applyAction("cancel", validateId(id), (now) => ({
      status: "cancelled",
      finishedAt: now,
      updatedAt: now,
      leaseUntil: null,
      cancelReason: reason,
    }));
  }

  /**
   * Re-runs a failed, cancelled or expired task: back to pending with no attempts used.
   * The TTL of an expired task, or one that has passed, is cleared (else it would expire again unrun).
   */
  async redrive(id: string, options: { runAt?: Date } = {}): Promise<Task> {
    await this.ready();
    return this.applyAction("redrive", validateId(id), (now, current) => ({
      status: "pending",
      runAt: options.runAt ?? now,
      attempts: 0,
      startedAt: null,
      finishedAt: null,
      updatedAt: now,
      workerId: null,
      leaseUntil: null,
      cancelReason: null,
      ...(current.status === "expired" ||
      (current.expiresAt && current.expiresAt.getTime() <= now.getTime())
        ? { expiresAt: null }
        : {}),
    }));
  }

  /** Reads, checks the transition table, then compare-and-sets on the status it read. */
  private async applyAction(
    action: TaskAction,
    id: string,
    patch: (now: Date, current: Task) => TaskPatch,
  ): Promise<Task> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.readTask(id);
      if (!current) throw new NotFoundError(`queue: task ${id} not found`, id);
      assertTransition(action, current.status, id);
      const task = await this.updateTask(
        id,
        { statuses: [current.status] },
        patch(new Date(), current),
      );
      if (task) {
        await this.cascade(task);
        return task;
      }
    }
    throw new ConflictError(
      `queue: task ${id} kept changing while trying to ${action} it; try again`,
    );
  }

  /** A task that ended badly cancels the pending tasks that depend on it, recursively. */
  protected async cascade(task: Task): Promise<void> {
    if (task.status !== "failed" && task.status !== "cancelled" && task.status !== "expired")
      return;
    const reason = `dependency ${task.id} ${task.status}`;
    let cursor: string | undefined;
    do {
      const page = await this.listTasks({
        dependsOn: task.id,
        statuses: ["pending"],
        limit: 500,
        cursor,
      });
      for (const dep of page.items) {
        const now = new Date();
        const done = await this.updateTask(
          dep.id,
          { statuses: ["pending"] },
          { status: "cancelled", finishedAt: now, updatedAt: now, cancelReason: reason },
        );
        if (done) await this.cascade(done);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  async delete(id: string): Promise<boolean> {
    await this.ready();
    return this.deleteTask(validateId(id));
  }

  async purge(options: PurgeOptions = {}): Promise<number> {
    await this.ready();
    checkKeys(options, PURGE_KEYS, "purge");
    const statuses =
      options.statuses === undefined
        ? FINAL_STATUSES
        : checkStatuses(options.statuses, TASK_STATUSES);
    if (options.finishedBefore !== undefined && !isValidDate(options.finishedBefore)) {
      throw new ValidationError(
        "finishedBefore",
        `finishedBefore: expected a valid Date, got ${describe(options.finishedBefore)}`,
      );
    }
    for (const s of statuses) {
      if (!FINAL_STATUSES.includes(s)) {
        throw new ValidationError(
          "statuses",
          `statuses: purge takes final statuses only (${FINAL_STATUSES.join(", ")}), got ${s}`,
        );
      }
    }
    const queue = options.queue === undefined ? undefined : validateQueueName(options.queue);
    return this.purgeTasks({ ...options, queue, statuses });
  }

  // ---- maintenance ----
  /**
   * Tasks whose lease ran out go back to pending (or fail for good when no retry is left:
   * a lease that ran out used its attempt). Returns the tasks it changed.
   */
  async recoverExpiredLeases(now: Date = new Date()): Promise<Task[]> {
    await this.ready();
    const out: Task[] = [];
    for (const t of await this.findExpiredLeases(now, 1000)) {
      const guard: TaskGuard = {
        statuses: ["running"],
        workerId: t.workerId ?? undefined,
        leaseUntil: t.leaseUntil,
      };
      const error = {
        name: "LeaseExpired",
        message: `lease of worker ${t.workerId} ran out at ${t.leaseUntil?.toISOString()}`,
        retryable: true,
        kind: "lease_expired",
      };
      const retriesLeft = t.attempts <= t.maxRetries;
      const done = await this.updateTask(
        t.id,
        guard,
        retriesLeft
          ? {
              status: "pending",
              runAt: now,
              updatedAt: now,
              leaseUntil: null,
              workerId: null,
              lastError: error,
            }
          : {
              status: "failed",
              finishedAt: now,
              updatedAt: now,
              leaseUntil: null,
              lastError: { ...error, retryable: false },
            },
      );
      if (done) {
        out.push(done);
        await this.cascade(done);
      }
    }
    return out;
  }

  /** Pending tasks past their TTL become `expired` (and never run). Returns them. */
  async expireOverdue(now: Date = new Date()): Promise<Task[]> {
    await this.ready();
    const out: Task[] = [];
    for (const t of await this.findOverdue(now, 1000)) {
      const done = await this.updateTask(
        t.id,
        { statuses: TRANSITIONS.expire.from },
        { status: "expired", finishedAt: now, updatedAt: now },
      );
      if (done) {
        out.push(done);
        await this.cascade(done);
      }
    }
    return out;
  }

  // ---- schedules ----
  /**
   * Adds a schedule, or updates the one with the same id. Re-adding an unchanged
   * definition (every deploy does) keeps its `nextRunAt` and `runCount`.
   */
  async addSchedule(input: NewSchedule): Promise<Schedule> {
    await this.ready();
    const now = new Date();
    const schedule = prepareSchedule(input, now);
    const existing = await this.readSchedule(schedule.id);
    if (existing && schedulesEqual(existing, schedule)) return existing;
    if (existing) {
      schedule.createdAt = existing.createdAt;
      schedule.status = existing.status;
    }
    await this.putSchedule(schedule);
    return schedule;
  }

  async getSchedule(id: string): Promise<Schedule | null> {
    await this.ready();
    return this.readSchedule(validateId(id));
  }

  async listSchedules(options: { status?: Schedule["status"] } = {}): Promise<Schedule[]> {
    await this.ready();
    return this.listScheduleRows(options.status);
  }

  async pauseSchedule(id: string): Promise<Schedule> {
    await this.ready();
    return this.setScheduleStatus(validateId(id), "paused");
  }

  async resumeSchedule(id: string): Promise<Schedule> {
    await this.ready();
    const current = await this.readSchedule(validateId(id));
    if (!current) throw new NotFoundError(`queue: schedule ${id} not found`, id);
    const now = new Date();
    // A resumed schedule continues from the next tick after now; paused ticks are skipped.
    const next =
      current.nextRunAt && current.nextRunAt.getTime() > now.getTime()
        ? current.nextRunAt
        : current.maxRuns !== null && current.runCount >= current.maxRuns
          ? null
          : nextTick(current, now, current.everyMs ? current.nextRunAt : null);
    const s = await this.updateSchedule(id, { status: "active", nextRunAt: next, updatedAt: now });
    if (!s) throw new NotFoundError(`queue: schedule ${id} not found`, id);
    return s;
  }

  private async setScheduleStatus(id: string, status: Schedule["status"]): Promise<Schedule> {
    const s = await this.updateSchedule(id, { status, updatedAt: new Date() });
    if (!s) throw new NotFoundError(`queue: schedule ${id} not found`, id);
    return s;
  }

  async removeSchedule(id: string): Promise<boolean> {
    await this.ready();
    return this.deleteSchedule(validateId(id));
  }

  /**
   * Fires due ticks. Each tick is claimed by a compare-and-set on `nextRunAt`, so among
   * racing callers exactly one wins it; the winner enqueues the task with the id
   * `<scheduleId>-<tick ms>`, so even a retried enqueue cannot make a second task.
   *
   * This generic version takes two steps (advance the schedule, then enqueue), so a crash
   * between them loses that one tick (it never fires twice). A backend that can do both in
   * one transaction should override it (`AsyncSQLiteQueue` does); the conformance suite
   * checks the exactly-once part either way.
   */
  async claimDueSchedules(now: Date = new Date()): Promise<ScheduleFiring[]> {
    await this.ready();
    const fired: ScheduleFiring[] = [];
    for (const s of await this.dueSchedules(now, 100)) {
      const tick = s.nextRunAt;
      if (!tick) continue;
      const runCount = s.runCount + 1;
      const done = s.maxRuns !== null && runCount >= s.maxRuns;
      const next = done ? null : nextTick(s, now, s.everyMs ? tick : null);
      const won = await this.updateSchedule(
        s.id,
        { nextRunAt: next, lastRunAt: tick, runCount, updatedAt: now },
        tick,
      );
      if (!won) continue;
      const task = await this.enqueue({
        ...(s.taskOptions as Partial<NewTask>),
        id: `${s.id}-${tick.getTime()}`,
        name: s.name,
        args: s.args,
        queue: s.queue,
        scheduleId: s.id,
      });
      fired.push({ schedule: won, task, tick });
    }
    return fired;
  }
}
