import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import { ConfigError, NotFoundError, TimeoutError, ValidationError } from "../errors.js";
import { validateId } from "../ids.js";
import type { TaskResult } from "../models/result.js";
import type { Task } from "../models/task.js";
import type { WakeHub } from "../worker/wake-hub.js";
import { Wakeup } from "../worker/wakeup.js";

/** Options of `omniq.result(id, options)`. */
export interface ResultOptions {
  /** Give up after this long with a `TimeoutError`; `0` checks once. @defaultValue wait until it finishes */
  waitMs?: number;
  /** Stop waiting when this fires (rejects with its reason). */
  signal?: AbortSignal;
}

export interface ResultWaiterDeps {
  queue: TaskQueue;
  results: ResultStorage | undefined;
  hub: WakeHub;
  pollMin: number;
  pollMax: number;
}

/** How long a finished task's stored result may lag behind its status (non-atomic writes). */
const RESULT_LAG_MS = 1000;

/**
 * The result as the caller sees it when none is stored: cancelled and expired tasks read as
 * `failed` with `error.kind` `"cancelled"` / `"expired"`; without result storage (or with
 * `storeResult: false`) a success has no `value`.
 */
export function resultFromTask(task: Task): TaskResult {
  const finishedAt = task.finishedAt ?? task.updatedAt;
  const base = {
    taskId: task.id,
    attempts: task.attempts,
    startedAt: task.startedAt,
    finishedAt,
    durationMs: task.startedAt ? finishedAt.getTime() - task.startedAt.getTime() : null,
    workerId: task.workerId,
    expiresAt: null,
    name: task.name,
    queue: task.queue,
  };
  switch (task.status) {
    case "success":
      return { ...base, status: "success" };
    case "cancelled":
      return {
        ...base,
        status: "failed",
        error: {
          name: "TaskCancelled",
          message: task.cancelReason ?? "cancelled",
          retryable: false,
          kind: "cancelled",
        },
      };
    case "expired":
      return {
        ...base,
        status: "failed",
        error: {
          name: "TaskExpired",
          message: `not started before its TTL ran out at ${task.expiresAt?.toISOString() ?? "?"}`,
          retryable: false,
          kind: "expired",
        },
      };
    default:
      return {
        ...base,
        status: "failed",
        error: task.lastError ?? { name: "Error", message: "failed", retryable: false },
      };
  }
}

const FINAL = new Set(["success", "failed", "cancelled", "expired"]);

/**
 * Waits for a task's outcome: at once when a worker in this process finishes it, otherwise
 * by polling the result storage and the queue with a doubling interval (`pollMin`..`pollMax`).
 */
export async function waitForResult<R>(
  deps: ResultWaiterDeps,
  id: string,
  options: ResultOptions = {},
): Promise<TaskResult<R>> {
  validateId(id, "id");
  const { waitMs, signal } = options;
  if (waitMs !== undefined && (typeof waitMs !== "number" || !(waitMs >= 0))) {
    throw new ValidationError("waitMs", `waitMs: expected a number >= 0, got ${String(waitMs)}`);
  }
  const deadline = waitMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + waitMs;
  const wake = new Wakeup();
  const pushed: { result: TaskResult | null } = { result: null };
  const off = deps.hub.onFinished(id, (r) => {
    if (r) pushed.result = r;
    wake.wake();
  });
  const onAbort = (): void => wake.wake();
  signal?.addEventListener("abort", onAbort);
  let finalSince: number | undefined;
  try {
    for (let delay = deps.pollMin; ; delay = Math.min(delay * 2, deps.pollMax)) {
      if (pushed.result) return pushed.result as TaskResult<R>;
      signal?.throwIfAborted();
      const stored = deps.results ? await deps.results.get<R>(id) : null;
      if (stored) return stored;
      const task = await deps.queue.get(id);
      if (!task) throw new NotFoundError(`omniq: task ${id} not found`, id);
      if (FINAL.has(task.status)) {
        const mayHaveResult =
          deps.results !== undefined &&
          task.storeResult &&
          (task.status === "success" || task.status === "failed") &&
          (task.resultTtlMs === null ||
            (task.finishedAt?.getTime() ?? 0) + task.resultTtlMs > Date.now());
        finalSince ??= Date.now();
        if (!mayHaveResult || Date.now() - finalSince >= RESULT_LAG_MS || Date.now() >= deadline) {
          return resultFromTask(task) as TaskResult<R>;
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new TimeoutError(
          `omniq: task ${id} did not finish within waitMs ${waitMs} (it is ${task.status})`,
        );
      }
      await wake.wait(Math.min(delay, remaining));
    }
  } finally {
    off();
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * The stored result of task `id` without waiting for it to finish (`ctx.result()` in a
 * handler): `null` when the task is unknown, not finished, ran with `storeResult: false`, or
 * its result's TTL passed. A task that just finished may have its result written a moment
 * after its status (result storage apart from the queue); that gap is waited out (at most
 * about a second). Rejects with `ConfigError` when there is no result storage.
 *
 * @example
 * ```ts
 * const r = await readStoredResult<number>(queue, results, dependencyId);
 * if (r?.status === "success") use(r.value);
 * ```
 */
export async function readStoredResult<R>(
  queue: TaskQueue,
  results: ResultStorage | undefined,
  id: string,
  field = "taskId",
): Promise<TaskResult<R> | null> {
  validateId(id, field);
  if (!results) {
    throw new ConfigError(
      "results",
      "omniq: no result storage configured, so no result can be read; pass `results` to new AsyncOmniQ(...)",
    );
  }
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const stored = await results.get<R>(id);
    if (stored) return stored;
    const task = await queue.get(id);
    const finished = task?.status === "success" || task?.status === "failed";
    if (!task || !finished || !task.storeResult) return null;
    const finishedAt = (task.finishedAt ?? task.updatedAt).getTime();
    const lagOver = finishedAt + RESULT_LAG_MS;
    const ttlOver =
      task.resultTtlMs === null ? Number.POSITIVE_INFINITY : finishedAt + task.resultTtlMs;
    if (Date.now() >= Math.min(lagOver, ttlOver)) return null;
    await new Promise((r) => setTimeout(r, delay));
  }
}
