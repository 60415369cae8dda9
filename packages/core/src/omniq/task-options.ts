import type { NewTask, RetryPolicy } from "../models/task.js";

/**
 * Defaults of a task definition (`omniq.task(name, handler, options)`); each enqueue may
 * override them.
 */
export interface TaskOptions {
  /** @defaultValue "default" */
  queue?: string;
  /** Higher runs first. @defaultValue 0 */
  priority?: number;
  /** Retries after the first attempt (`3`: up to 4 attempts). @defaultValue 3 */
  maxRetries?: number;
  /** Backoff between attempts. @defaultValue { backoff: "exponential", delayMs: 1000, maxDelayMs: 3_600_000, jitter: 0.2 } */
  retry?: Partial<RetryPolicy>;
  /** Abort the attempt (signal fires) and fail it as timed out after this long. @defaultValue none */
  timeoutMs?: number | null;
  /** Time to live: not started within this long means `expired`, never run. @defaultValue none */
  ttlMs?: number;
  /** How long the stored result is kept. @defaultValue forever */
  resultTtlMs?: number | null;
  /** Store the handler's return value (or final error) in result storage. @defaultValue true */
  storeResult?: boolean;
}

/** Per-enqueue options: the task options plus when, what it waits for, and identity. */
export interface EnqueueOptions extends TaskOptions {
  /**
   * Caller-chosen id: enqueueing the same id again returns the existing task
   * (idempotency). @defaultValue a new UUIDv7
   */
  id?: string;
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
  /** Run no earlier than this time (wins over `delayMs`). */
  runAt?: Date;
  /** Absolute TTL (wins over `ttlMs`). */
  expiresAt?: Date;
  /** Tasks (ids, or anything with an `id`) that must succeed first; if one fails, this one is cancelled. */
  dependsOn?: ReadonlyArray<string | { readonly id: string }>;
  /** Free-form JSON data stored with the task. */
  metadata?: Record<string, unknown>;
}

/** One task to enqueue, e.g. in `omniq.enqueueMany()`; `add.request(1, 2)` builds a typed one. */
export interface TaskRequest extends EnqueueOptions {
  name: string;
  args?: readonly unknown[];
}

/** `base` overridden by `over` (retry policies merge field by field). */
export function mergeOptions(base: EnqueueOptions, over: EnqueueOptions): EnqueueOptions {
  const out: EnqueueOptions = { ...base, ...over };
  if (base.retry || over.retry) out.retry = { ...base.retry, ...over.retry };
  return out;
}

/** The queue's `NewTask` for a request. */
export function toNewTask(request: TaskRequest): NewTask {
  const { dependsOn, ...rest } = request;
  const task: NewTask = { ...rest, args: request.args ?? [] };
  if (dependsOn !== undefined) {
    task.dependsOn = dependsOn.map((d) => (typeof d === "string" ? d : d?.id));
  }
  return task;
}

const SCHEDULED_KEYS = [
  "priority",
  "maxRetries",
  "retry",
  "timeoutMs",
  "ttlMs",
  "resultTtlMs",
  "storeResult",
  "metadata",
] as const;

/** The options a schedule applies to each task it enqueues (times and ids are per tick, so left out). */
export function scheduledTaskOptions(options: EnqueueOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SCHEDULED_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out;
}
