/**
 * Task states. The diagram (every arrow is one row of {@link TRANSITIONS}):
 *
 * ```text
 *              claim                 complete
 *   pending ─────────────▶ running ───────────▶ success
 *    │  ▲  ▲                │  │  │
 *    │  │  └── retry/release/lease expired ─┘  │ fail (final)
 *    │  │                   │  cancel          ▼
 *    │  └──── redrive ──── failed ◀────────────┘
 *    │ cancel               ▼
 *    └────────────────▶ cancelled ── redrive ──▶ pending
 *    │ TTL passed
 *    └────────────────▶ expired ─── redrive ──▶ pending
 * ```
 */
export const TaskStatus = {
  pending: "pending",
  running: "running",
  success: "success",
  failed: "failed",
  cancelled: "cancelled",
  expired: "expired",
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export const TASK_STATUSES: readonly TaskStatus[] = Object.values(TaskStatus);
export const FINAL_STATUSES: readonly TaskStatus[] = ["success", "failed", "cancelled", "expired"];

/** How a failed attempt is retried. */
export interface RetryPolicy {
  /** `fixed`: always `delayMs`; `exponential`: `delayMs * 2^(attempt-1)`. @defaultValue "exponential" */
  backoff: "fixed" | "exponential";
  /** Base delay in ms. @defaultValue 1000 */
  delayMs: number;
  /** Upper bound of one delay in ms. @defaultValue 3_600_000 */
  maxDelayMs: number;
  /** Random spread: the delay is multiplied by a factor in [1 - jitter, 1]. @defaultValue 0.2 */
  jitter: number;
}

/** The error of a failed attempt, as stored on the task and the result. */
export interface TaskError {
  name: string;
  message: string;
  stack?: string | undefined;
  /** `false` for {@link UnrecoverableError}, timeouts of the last attempt and similar. */
  retryable: boolean;
  /** What ended the attempt: `"handler"`, `"timeout"`, `"unrecoverable"`, `"lease_expired"`, `"crash"`, `"cancelled"`, `"expired"`, `"unknown_task"`, `"result_encoding"`, ... */
  kind?: string | undefined;
}

/** A task as stored. Times are `Date`s; fields that do not apply are `null`. */
export interface Task<Args extends readonly unknown[] = unknown[]> {
  id: string;
  queue: string;
  /** The registered task name (the spec's `func`). */
  name: string;
  args: Args;
  status: TaskStatus;
  /** Higher runs first. @defaultValue 0 */
  priority: number;
  /** Not claimed before this time (the spec's `eta`). */
  runAt: Date;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** TTL: a task not started by then becomes `expired` and never runs. */
  expiresAt: Date | null;
  /** Attempts started so far (incremented on claim). */
  attempts: number;
  /** Retries after the first attempt; `maxRetries: 3` allows 4 attempts. */
  maxRetries: number;
  retry: RetryPolicy;
  timeoutMs: number | null;
  dependsOn: string[];
  storeResult: boolean;
  resultTtlMs: number | null;
  scheduleId: string | null;
  metadata: Record<string, unknown>;
  lastError: TaskError | null;
  /** Last value reported with `ctx.progress()`. */
  progress: unknown;
  workerId: string | null;
  leaseUntil: Date | null;
  /** Why the task was cancelled, when it was. */
  cancelReason: string | null;
}

/** What a caller gives to enqueue a task; everything but `name` has a default. */
export interface NewTask {
  name: string;
  args?: readonly unknown[];
  /** Caller-supplied id: enqueueing the same id again returns the existing task (idempotency). */
  id?: string;
  queue?: string;
  priority?: number;
  /** Absolute start time; wins over `delayMs`. */
  runAt?: Date;
  delayMs?: number;
  /** Time to live in ms: not started by `createdAt + ttlMs` means `expired`. */
  ttlMs?: number;
  expiresAt?: Date;
  maxRetries?: number;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number | null;
  dependsOn?: readonly string[];
  storeResult?: boolean;
  resultTtlMs?: number | null;
  scheduleId?: string | null;
  metadata?: Record<string, unknown>;
}

export const DEFAULT_RETRY_POLICY = {
  backoff: "exponential",
  delayMs: 1000,
  maxDelayMs: 3_600_000,
  jitter: 0.2,
} as const satisfies RetryPolicy;

export const DEFAULT_QUEUE = "default";

/** Fields a backend may change on a stored task. */
export type TaskPatch = Partial<
  Pick<
    Task,
    | "status"
    | "runAt"
    | "updatedAt"
    | "startedAt"
    | "finishedAt"
    | "attempts"
    | "lastError"
    | "progress"
    | "workerId"
    | "leaseUntil"
    | "cancelReason"
    | "priority"
    | "expiresAt"
  >
>;
