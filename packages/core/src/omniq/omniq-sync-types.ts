import type { TaskResult } from "../models/result.js";
import type { Schedule } from "../models/schedule.js";
import type { Task } from "../models/task.js";
import type { WorkerOptions } from "../worker/worker-options.js";
import type { AnyHandler, TaskArgs, TaskReturn, TaskScheduleOptions } from "./task-definition.js";
import type { EnqueueOptions, TaskRequest } from "./task-options.js";

/**
 * Options of the blocking `result()`: how long to wait. There is no `signal`: the calling
 * thread is blocked while it waits, so nothing in it could fire one.
 */
export interface BlockingResultOptions {
  /** Give up after this long with a `TimeoutError`; `0` checks once. @defaultValue wait until it finishes */
  waitMs?: number;
}

/**
 * An enqueued task as the blocking {@link OmniQ} returns it: plain data (`id`, `task`) plus
 * helpers that call back into the OmniQ's thread.
 *
 * @example
 * ```ts
 * const h = omniq.tasks.add.enqueue(1, 2);
 * const r = h.result({ waitMs: 5000 }); // blocks; TaskResult<number>
 * ```
 */
export interface BlockingTaskHandle<R = unknown, Args extends readonly unknown[] = unknown[]> {
  readonly id: string;
  /** The task as stored by the enqueue. */
  readonly task: Task<Args>;
  /** Blocks until the task finished; see `OmniQ.result`. */
  result(options?: BlockingResultOptions): TaskResult<R>;
  cancel(reason?: string): Task;
}

/**
 * A typed task of the blocking {@link OmniQ}: `omniq.tasks.<name>`. The same shape as the
 * async `TaskDefinition`, each method returning its value instead of a promise.
 *
 * @example
 * ```ts
 * const h = omniq.tasks.add.with({ priority: 5 }).enqueue(1, 2);
 * omniq.tasks.add.schedule({ id: "every-minute", everyMs: 60_000 }, 1, 2);
 * ```
 */
export interface BlockingTaskDefinition<Args extends readonly unknown[] = unknown[], R = unknown> {
  readonly name: string;
  /** Options given through `with()` (the task's own `taskOptions` apply in the OmniQ's thread). */
  readonly options: Readonly<EnqueueOptions>;
  enqueue(...args: Args): BlockingTaskHandle<R, Args>;
  /** A copy with `options` merged over the current ones. */
  with(options: EnqueueOptions): BlockingTaskDefinition<Args, R>;
  /** An enqueue request for `omniq.enqueueMany()`. */
  request(...args: Args): TaskRequest;
  /** Enqueues one task per entry in one batch. */
  enqueueMany(argsList: readonly Args[]): Array<BlockingTaskHandle<R, Args>>;
  /** Adds (or updates) a schedule that enqueues this task with `args` at each tick. */
  schedule(options: TaskScheduleOptions, ...args: Args): Schedule;
}

/** The handler of an untyped OmniQ: any arguments, any result. */
export type UntypedHandler = (...args: unknown[]) => unknown;

/** What `new OmniQ(...)` assumes when no handler module type is given: any task name. */
export type UntypedTaskModule = Record<string, UntypedHandler>;

type NamedHandlers<M> = {
  [K in keyof M as K extends "default" ? never : M[K] extends AnyHandler ? K : never]: M[K];
};

type DefaultHandlers<M> = M extends { readonly default: infer D }
  ? D extends object
    ? { [K in keyof D as D[K] extends AnyHandler ? K : never]: D[K] }
    : unknown
  : unknown;

/**
 * The handlers of a task module type, as the OmniQ's thread finds them: function-valued named
 * exports, then the function properties of a default-exported object (a named export wins).
 *
 * @example
 * ```ts
 * type H = TaskModuleHandlers<typeof import("./tasks.js")>; // { add: (a: number, b: number) => number, ... }
 * ```
 */
export type TaskModuleHandlers<M> = NamedHandlers<M> &
  Omit<DefaultHandlers<M>, keyof NamedHandlers<M>>;

/** The typed tasks of a module: `omniq.tasks.add.enqueue(1, 2)`. */
export type BlockingTasks<M> = {
  readonly [K in keyof TaskModuleHandlers<M> & string]: TaskModuleHandlers<M>[K] extends AnyHandler
    ? BlockingTaskDefinition<
        TaskArgs<TaskModuleHandlers<M>[K]>,
        TaskReturn<TaskModuleHandlers<M>[K]>
      >
    : never;
};

/** Task names of a module type (keys of {@link TaskModuleHandlers}). */
export type TaskModuleNames<M> = keyof TaskModuleHandlers<M> & string;

/**
 * Worker options that can cross into the OmniQ's thread: everything of `WorkerOptions` but
 * objects with behaviour (`executor`, `logger`) and `handleSignals` (signals never reach a
 * worker thread).
 */
export type BlockingWorkerOptions = Omit<WorkerOptions, "executor" | "logger" | "handleSignals">;
