import type { TaskResult } from "../models/result.js";
import type { NewSchedule, Schedule } from "../models/schedule.js";
import type { NewTask, Task, TaskError, TaskStatus } from "../models/task.js";
import type { Page } from "./common.js";

/** What a queue backend can do; the worker and the conformance suite read these, never `instanceof`. */
export interface QueueCapabilities {
  /** Claims stay atomic when several OS processes share the store. */
  crossProcessClaims: boolean;
  /** `enqueueMany` is all-or-nothing. */
  atomicBatches: boolean;
  /** `complete()` with a result writes task and result in one transaction (the spec's mark_done). */
  atomicResults: boolean;
}

export interface DequeueOptions {
  /** Queues to claim from, in priority order: the first queue with a due task wins. @defaultValue ["default"] */
  queues?: readonly string[];
  /** Who holds the lease. */
  workerId: string;
  /** Lease length in ms; renew with `heartbeat`. @defaultValue 30_000 */
  leaseMs?: number;
  /** Claim time (tests). @defaultValue now */
  now?: Date;
}

export interface DequeueManyOptions extends DequeueOptions {
  /** Most tasks to claim in one go. */
  limit: number;
}

export interface TaskFilter {
  queue?: string;
  statuses?: readonly TaskStatus[];
  name?: string;
  /** Tasks that list this id in `dependsOn`. */
  dependsOn?: string;
  scheduleId?: string;
}

export interface ListOptions extends TaskFilter {
  /** @defaultValue 100 */
  limit?: number;
  cursor?: string;
}

export interface PurgeOptions {
  queue?: string;
  /** Statuses to delete; only final statuses are accepted. @defaultValue all final statuses */
  statuses?: readonly TaskStatus[];
  /** Only tasks that finished before this time. */
  finishedBefore?: Date;
}

export interface CompleteOptions {
  /** Stored in the same transaction when the queue has `atomicResults` and owns the result storage. */
  result?: TaskResult;
  now?: Date;
}

export interface CompleteManyItem extends CompleteOptions {
  id: string;
  workerId: string;
}

export interface FailOptions {
  error: TaskError;
  /** Set: the task goes back to pending and runs again at this time. Unset: it fails for good. */
  retryAt?: Date | null;
  now?: Date;
}

export interface ScheduleFiring {
  schedule: Schedule;
  task: Task;
  /** The tick that fired. */
  tick: Date;
}

/**
 * The task-queue contract. Every backend's async queue implements it (most by extending
 * {@link BaseQueue}); the blocking twin has the same methods without promises.
 * The conformance suite in `@omniq/core/testing` is its definition.
 */
export interface TaskQueue {
  readonly capabilities: QueueCapabilities;
  enqueue(task: NewTask): Promise<Task>;
  enqueueMany(tasks: readonly NewTask[]): Promise<Task[]>;
  dequeue(options: DequeueOptions): Promise<Task | null>;
  dequeueMany(options: DequeueManyOptions): Promise<Task[]>;
  heartbeat(id: string, workerId: string, leaseMs?: number): Promise<Task>;
  setProgress(id: string, workerId: string, progress: unknown): Promise<Task>;
  complete(id: string, workerId: string, options?: CompleteOptions): Promise<Task>;
  /** Completes several tasks; the entry is `null` where the worker had lost the lease. */
  completeMany(items: readonly CompleteManyItem[]): Promise<Array<Task | null>>;
  fail(id: string, workerId: string, options: FailOptions): Promise<Task>;
  release(id: string, workerId: string, options?: { runAt?: Date }): Promise<Task>;
  get(id: string): Promise<Task | null>;
  list(options?: ListOptions): Promise<Page<Task>>;
  count(filter?: TaskFilter): Promise<number>;
  cancel(id: string, reason?: string): Promise<Task>;
  redrive(id: string, options?: { runAt?: Date }): Promise<Task>;
  delete(id: string): Promise<boolean>;
  purge(options?: PurgeOptions): Promise<number>;
  recoverExpiredLeases(now?: Date): Promise<Task[]>;
  expireOverdue(now?: Date): Promise<Task[]>;
  addSchedule(schedule: NewSchedule): Promise<Schedule>;
  getSchedule(id: string): Promise<Schedule | null>;
  listSchedules(options?: { status?: Schedule["status"] }): Promise<Schedule[]>;
  pauseSchedule(id: string): Promise<Schedule>;
  resumeSchedule(id: string): Promise<Schedule>;
  removeSchedule(id: string): Promise<boolean>;
  /** Fires every due schedule tick exactly once, however many callers race. */
  claimDueSchedules(now?: Date): Promise<ScheduleFiring[]>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
