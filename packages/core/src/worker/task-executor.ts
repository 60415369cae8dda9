import type { TaskResult } from "../models/result.js";
import type { Task } from "../models/task.js";

/**
 * What a handler gets as its last argument, and what a {@link TaskExecutor} runs an attempt with.
 *
 * @example
 * ```ts
 * omniq.task("resize", async (url: string, ctx?: TaskContext) => {
 *   await ctx?.progress({ step: "download" });
 *   const res = await fetch(url, { signal: ctx?.signal });
 *   ...
 * });
 * ```
 */
export interface TaskContext {
  task: Task;
  /** 1 for the first attempt. */
  attempt: number;
  /** Fires on timeout, cancel, lost lease and forced stop; `signal.reason` says which. */
  signal: AbortSignal;
  workerId: string;
  /** Extends the lease now (the worker also renews it on a timer); rejects with `LeaseLostError`. */
  heartbeat(): Promise<void>;
  /** Stores `value` on the task (`task.progress`) and records a `progress` event. */
  progress(value: unknown): Promise<void>;
  /**
   * The stored result of another task, typically one in `task.dependsOn`; `null` when none
   * is stored (not finished, `storeResult: false`, TTL passed). Rejects with `ConfigError`
   * when the worker has no result storage. Set by the worker for in-process handlers;
   * thread and process pools do not forward it (their handlers get a `PoolTaskContext`).
   *
   * @example
   * ```ts
   * const r = await ctx.result?.<number>(otherTaskId);
   * ```
   */
  result?<T = unknown>(taskId: string): Promise<TaskResult<T> | null>;
  /**
   * The stored results of `task.dependsOn`, in that order (`null` where none is stored).
   * In-process handlers only, like {@link TaskContext.result}.
   */
  dependencies?(): Promise<Array<TaskResult | null>>;
}

/**
 * The context an in-process handler gets (the default executor): {@link TaskContext} with
 * `result()` and `dependencies()` always set.
 *
 * @example
 * ```ts
 * const total = omniq.task("total", async (ctx?: InProcessTaskContext) => {
 *   const parts = await ctx!.dependencies();      // results of task.dependsOn, in order
 *   return parts.reduce((sum, r) => sum + (r?.value as number), 0);
 * });
 * const a = await price.enqueue("a");
 * const b = await price.enqueue("b");
 * await total.with({ dependsOn: [a, b] }).enqueue();
 * ```
 */
export type InProcessTaskContext = TaskContext &
  Required<Pick<TaskContext, "result" | "dependencies">>;

/** Runs one attempt of a task; resolves with the handler's value, rejects with its error. */
export interface TaskExecutor {
  execute(ctx: TaskContext): Promise<unknown>;
  close(): Promise<void>;
}

/** Handlers by task name; a handler gets the task's args then the context as a last extra argument. */
// biome-ignore lint/suspicious/noExplicitAny: handlers have arbitrary parameter lists; callers type them through `omniq.task()`
export type HandlerMap = Record<string, (...args: any[]) => unknown>;
