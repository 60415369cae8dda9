import {
  BackendError,
  DEFAULT_RETRY_POLICY,
  decode,
  encode,
  type PreparedTask,
  type RetryPolicy,
  type Task,
  type TaskError,
  type TaskStatus,
} from "@omniq/core";

/** A row of the `tasks` table. */
export interface TaskRow {
  seq: number;
  id: string;
  queue: string;
  name: string;
  args: string;
  status: string;
  priority: number;
  run_at: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  expires_at: number | null;
  attempts: number;
  max_retries: number;
  retry: string;
  timeout_ms: number | null;
  depends_on: string;
  store_result: number;
  result_ttl_ms: number | null;
  schedule_id: string | null;
  metadata: string;
  last_error: string | null;
  progress: string | null;
  worker_id: string | null;
  lease_until: number | null;
  cancel_reason: string | null;
}

/** Columns written on insert, in the order of {@link taskParams}. */
export const TASK_COLUMNS = [
  "id",
  "queue",
  "name",
  "args",
  "status",
  "priority",
  "run_at",
  "created_at",
  "updated_at",
  "started_at",
  "finished_at",
  "expires_at",
  "attempts",
  "max_retries",
  "retry",
  "timeout_ms",
  "depends_on",
  "store_result",
  "result_ttl_ms",
  "schedule_id",
  "metadata",
  "last_error",
  "progress",
  "worker_id",
  "lease_until",
  "cancel_reason",
] as const;

export const DEFAULT_RETRY_JSON = JSON.stringify(DEFAULT_RETRY_POLICY);

function retryJson(r: RetryPolicy): string {
  const d = DEFAULT_RETRY_POLICY;
  if (
    r.backoff === d.backoff &&
    r.delayMs === d.delayMs &&
    r.maxDelayMs === d.maxDelayMs &&
    r.jitter === d.jitter
  ) {
    return DEFAULT_RETRY_JSON;
  }
  return JSON.stringify({
    backoff: r.backoff,
    delayMs: r.delayMs,
    maxDelayMs: r.maxDelayMs,
    jitter: r.jitter,
  });
}

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

/** Bind values for one insert, in {@link TASK_COLUMNS} order. */
export function taskParams(p: PreparedTask): unknown[] {
  const t = p.task;
  return [
    t.id,
    t.queue,
    t.name,
    p.argsJson,
    t.status,
    t.priority,
    t.runAt.getTime(),
    t.createdAt.getTime(),
    t.updatedAt.getTime(),
    ms(t.startedAt),
    ms(t.finishedAt),
    ms(t.expiresAt),
    t.attempts,
    t.maxRetries,
    retryJson(t.retry),
    t.timeoutMs,
    t.dependsOn.length === 0 ? "[]" : JSON.stringify(t.dependsOn),
    t.storeResult ? 1 : 0,
    t.resultTtlMs,
    t.scheduleId,
    p.metadataJson,
    t.lastError === null ? null : JSON.stringify(t.lastError),
    t.progress === null || t.progress === undefined ? null : encode(t.progress, "progress"),
    t.workerId,
    ms(t.leaseUntil),
    t.cancelReason,
  ];
}

/** Bind values for `INSERT_LEAN`, or `null` when the task needs the full insert. */
export function leanParams(p: PreparedTask): unknown[] | null {
  const t = p.task;
  if (
    t.status !== "pending" ||
    t.expiresAt !== null ||
    t.timeoutMs !== null ||
    t.dependsOn.length !== 0 ||
    !t.storeResult ||
    t.resultTtlMs !== null ||
    t.scheduleId !== null ||
    p.metadataJson !== "{}" ||
    retryJson(t.retry) !== DEFAULT_RETRY_JSON
  ) {
    return null;
  }
  return [
    t.id,
    t.queue,
    t.name,
    p.argsJson,
    t.priority,
    t.runAt.getTime(),
    t.maxRetries,
    t.createdAt.getTime(),
    t.updatedAt.getTime(),
  ];
}

/**
 * A JSON column that does not parse: reported with the task id, never silently replaced.
 * Users see a plain `BackendError` (the name is kept so it crosses thread boundaries as one).
 */
export class CorruptRowError extends BackendError {
  readonly taskId: string;
  readonly column: string;
  constructor(taskId: string, column: string, cause: unknown) {
    super(
      `sqlite: task ${taskId} has corrupt ${column} JSON (${(cause as Error)?.message ?? String(cause)}); fix or delete the row`,
      { cause },
    );
    this.name = "BackendError";
    this.taskId = taskId;
    this.column = column;
  }
}

function json<T>(row: TaskRow, column: keyof TaskRow, text: string, codec: boolean): T {
  try {
    return (codec ? decode(text) : JSON.parse(text)) as T;
  } catch (err) {
    throw new CorruptRowError(row.id, column, err);
  }
}

const date = (n: number | null): Date | null => (n === null ? null : new Date(n));

/** Rebuilds a {@link Task}; a JSON column that does not parse throws {@link CorruptRowError}. */
export function rowToTask(row: TaskRow): Task {
  return {
    id: row.id,
    queue: row.queue,
    name: row.name,
    args: row.args === "[]" ? [] : json<unknown[]>(row, "args", row.args, true),
    status: row.status as TaskStatus,
    priority: row.priority,
    runAt: new Date(row.run_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    expiresAt: date(row.expires_at),
    attempts: row.attempts,
    maxRetries: row.max_retries,
    retry:
      row.retry === DEFAULT_RETRY_JSON
        ? { ...DEFAULT_RETRY_POLICY }
        : json<RetryPolicy>(row, "retry", row.retry, false),
    timeoutMs: row.timeout_ms,
    dependsOn:
      row.depends_on === "[]" ? [] : json<string[]>(row, "depends_on", row.depends_on, false),
    storeResult: row.store_result === 1,
    resultTtlMs: row.result_ttl_ms,
    scheduleId: row.schedule_id,
    metadata: row.metadata === "{}" ? {} : json(row, "metadata", row.metadata, true),
    lastError:
      row.last_error === null ? null : json<TaskError>(row, "last_error", row.last_error, false),
    progress: row.progress === null ? null : json(row, "progress", row.progress, true),
    workerId: row.worker_id,
    leaseUntil: date(row.lease_until),
    cancelReason: row.cancel_reason,
  };
}

/** Bind value of one patched field (see `TaskPatch`). */
export function patchValue(field: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  switch (field) {
    case "lastError":
      return JSON.stringify(value);
    case "progress":
      return encode(value, "progress");
    default:
      return value;
  }
}

/** Column of each `TaskPatch` field. */
export const PATCH_COLUMNS: Readonly<Record<string, string>> = {
  status: "status",
  runAt: "run_at",
  updatedAt: "updated_at",
  startedAt: "started_at",
  finishedAt: "finished_at",
  attempts: "attempts",
  lastError: "last_error",
  progress: "progress",
  workerId: "worker_id",
  leaseUntil: "lease_until",
  cancelReason: "cancel_reason",
  priority: "priority",
  expiresAt: "expires_at",
};
