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
}

/** Runs one attempt of a task; resolves with the handler's value, rejects with its error. */
export interface TaskExecutor {
  execute(ctx: TaskContext): Promise<unknown>;
  close(): Promise<void>;
}

/** Handlers by task name; a handler gets the task's args then the context as a last extra argument. */
// biome-ignore lint/suspicious/noExplicitAny: handlers have arbitrary parameter lists; callers type them through `omniq.task()`
export type HandlerMap = Record<string, (...args: any[]) => unknown>;
