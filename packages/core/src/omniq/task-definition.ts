import type { TaskResult } from "../models/result.js";
import type { NewSchedule, Schedule } from "../models/schedule.js";
import type { Task } from "../models/task.js";
import type { TaskContext } from "../worker/task-executor.js";
import type { ResultOptions } from "./result-waiter.js";
import {
  type EnqueueOptions,
  mergeOptions,
  scheduledTaskOptions,
  type TaskRequest,
} from "./task-options.js";

/** Any handler: task args, then (optionally) the {@link TaskContext}. */
export type AnyHandler = (...args: never[]) => unknown;

type StripContext<P extends readonly unknown[]> = P extends readonly [...infer H, infer L]
  ? [L] extends [TaskContext]
    ? H
    : P
  : P extends readonly [...infer H, (infer L)?]
    ? [Exclude<L, undefined>] extends [never]
      ? P
      : [Exclude<L, undefined>] extends [TaskContext]
        ? H
        : P
    : P;

/**
 * The arguments `enqueue()` takes for handler `H`: its parameters without a trailing
 * `TaskContext` (optional or not).
 *
 * @example
 * ```ts
 * type A = TaskArgs<(a: number, b: string, ctx?: TaskContext) => void>; // [a: number, b: string]
 * ```
 */
export type TaskArgs<H extends AnyHandler> = StripContext<Parameters<H>>;

/** What a task's result holds for handler `H`: its awaited return type. */
export type TaskReturn<H extends AnyHandler> = Awaited<ReturnType<H>>;

/** An enqueued task, typed by its handler's result. */
export interface TaskHandle<R = unknown, Args extends readonly unknown[] = unknown[]> {
  readonly id: string;
  /** The task as stored by the enqueue. */
  readonly task: Task<Args>;
  /**
   * Waits for the task to finish; see `AsyncOmniQ.result`.
   *
   * @example
   * ```ts
   * const r = await (await add.enqueue(1, 2)).result({ waitMs: 5000 });
   * if (r.status === "success") console.log(r.value); // 3, typed number
   * ```
   */
  result(options?: ResultOptions): Promise<TaskResult<R>>;
  cancel(reason?: string): Promise<Task>;
}

/** Scheduling of a typed task: everything of `NewSchedule` but the name and args. */
export type TaskScheduleOptions = Omit<NewSchedule, "name" | "args">;

/**
 * A typed task, made by `omniq.task(name, handler, options)`. Per-call options go through
 * `with(options)`, which returns the same kind of object with the options merged.
 *
 * @example
 * ```ts
 * const add = omniq.task("add", (a: number, b: number) => a + b, { maxRetries: 5 });
 * const h = await add.enqueue(1, 2);                                   // args checked: [number, number]
 * await add.with({ delayMs: 1000, priority: 10, id: "sum-1-2" }).enqueue(1, 2);
 * await add.with({ dependsOn: [h] }).enqueue(3, 4);                    // after h succeeds
 * await omniq.enqueueMany([add.request(1, 2), add.request(3, 4)]);     // one batch
 * ```
 */
export interface TaskDefinition<Args extends readonly unknown[] = unknown[], R = unknown> {
  readonly name: string;
  /** The defaults plus everything given to `with()`. */
  readonly options: Readonly<EnqueueOptions>;
  enqueue(...args: Args): Promise<TaskHandle<R, Args>>;
  /** A copy with `options` merged over the current ones (it does not register anything). */
  with(options: EnqueueOptions): TaskDefinition<Args, R>;
  /** An enqueue request for `omniq.enqueueMany()`. */
  request(...args: Args): TaskRequest;
  /** Enqueues one task per entry in one batch (one transaction where the queue supports it). */
  enqueueMany(argsList: readonly Args[]): Promise<Array<TaskHandle<R, Args>>>;
  /** Adds (or updates) a schedule that enqueues this task with `args` at each tick. */
  schedule(options: TaskScheduleOptions, ...args: Args): Promise<Schedule>;
}

/** What a definition needs from its `AsyncOmniQ` (internal). */
export interface TaskDefinitionHost {
  enqueueMany(requests: readonly TaskRequest[]): Promise<Task[]>;
  result<R>(id: string, options?: ResultOptions): Promise<TaskResult<R>>;
  cancel(id: string, reason?: string): Promise<Task>;
  schedule(schedule: NewSchedule): Promise<Schedule>;
}

/** Builds the definition object (internal; use `omniq.task()`). */
export function createTaskDefinition<Args extends readonly unknown[], R>(
  host: TaskDefinitionHost,
  name: string,
  options: EnqueueOptions,
): TaskDefinition<Args, R> {
  const handle = (task: Task): TaskHandle<R, Args> => ({
    id: task.id,
    task: task as unknown as Task<Args>,
    result: (o) => host.result<R>(task.id, o),
    cancel: (reason) => host.cancel(task.id, reason),
  });
  const request = (args: Args): TaskRequest => ({ ...options, name, args });
  return Object.freeze({
    name,
    options: Object.freeze({ ...options }),
    async enqueue(...args: Args) {
      const [task] = await host.enqueueMany([request(args)]);
      return handle(task!);
    },
    with(more: EnqueueOptions) {
      return createTaskDefinition<Args, R>(host, name, mergeOptions(options, more));
    },
    request: (...args: Args) => request(args),
    async enqueueMany(argsList: readonly Args[]) {
      const tasks = await host.enqueueMany(argsList.map(request));
      return tasks.map(handle);
    },
    schedule(scheduleOptions: TaskScheduleOptions, ...args: Args) {
      return host.schedule({
        ...scheduleOptions,
        queue: scheduleOptions.queue ?? options.queue,
        taskOptions: { ...scheduledTaskOptions(options), ...scheduleOptions.taskOptions },
        name,
        args,
      });
    },
  });
}
