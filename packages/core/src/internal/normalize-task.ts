import { toJson } from "../codec.js";
import { ValidationError } from "../errors.js";
import { describe, uuidv7, validateId, validateQueueName } from "../ids.js";
import {
  DEFAULT_QUEUE,
  DEFAULT_RETRY_POLICY,
  type NewTask,
  type RetryPolicy,
  type Task,
} from "../models/task.js";

/** Limits every queue enforces at enqueue. */
export interface TaskLimits {
  /** Largest encoded `args` + `metadata`, in bytes. @defaultValue 1_048_576 (1 MiB) */
  maxPayloadBytes: number;
}

export const DEFAULT_TASK_LIMITS = { maxPayloadBytes: 1_048_576 } as const satisfies TaskLimits;

/** A validated task ready to store, with its JSON columns already encoded. */
export interface PreparedTask {
  task: Task;
  /** `encode(task.args)` */
  argsJson: string;
  /** `encode(task.metadata)` */
  metadataJson: string;
}

/** Retries after the first attempt when a task does not say (Celery's default). */
export const DEFAULT_MAX_RETRIES = 3;

export const PRIORITY_MIN = -1_000_000;
export const PRIORITY_MAX = 1_000_000;

function int(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      field,
      `${field}: expected an integer from ${min} to ${max}, got ${typeof value === "number" ? value : describe(value)}`,
    );
  }
  return value;
}

function date(value: unknown, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(field, `${field}: expected a valid Date, got ${describe(value)}`);
  }
  return value;
}

function nonNegative(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(field, `${field}: expected a number >= 0, got ${String(value)}`);
  }
  return value;
}

/** Checks a task name: 1-200 printable characters. */
export function validateTaskName(value: unknown, field = "name"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 200) {
    throw new ValidationError(
      field,
      `${field}: expected a string of 1-200 characters, got ${describe(value)}`,
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new ValidationError(field, `${field}: control characters are not allowed`);
  }
  return value;
}

export function normalizeRetry(
  input: Partial<RetryPolicy> | undefined,
  field = "retry",
): RetryPolicy {
  const r = { ...DEFAULT_RETRY_POLICY, ...(input ?? {}) };
  if (r.backoff !== "fixed" && r.backoff !== "exponential") {
    throw new ValidationError(
      `${field}.backoff`,
      `${field}.backoff: expected "fixed" or "exponential", got ${JSON.stringify(r.backoff)}`,
    );
  }
  nonNegative(r.delayMs, `${field}.delayMs`);
  nonNegative(r.maxDelayMs, `${field}.maxDelayMs`);
  if (typeof r.jitter !== "number" || r.jitter < 0 || r.jitter > 1) {
    throw new ValidationError(
      `${field}.jitter`,
      `${field}.jitter: expected a number from 0 to 1, got ${String(r.jitter)}`,
    );
  }
  return r;
}

/**
 * Validates a {@link NewTask} and fills in defaults. Throws {@link ValidationError}
 * naming the field (`tasks[3].args[1].when`) on bad input.
 */
export function prepareTask(
  input: NewTask,
  now: Date,
  limits: TaskLimits = DEFAULT_TASK_LIMITS,
  prefix = "",
): PreparedTask {
  if (input === null || typeof input !== "object") {
    throw new ValidationError(
      prefix || "task",
      `${prefix || "task"}: expected an object, got ${describe(input)}`,
    );
  }
  const f = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const name = validateTaskName(input.name, f("name"));
  const id = input.id === undefined ? uuidv7(now.getTime()) : validateId(input.id, f("id"));
  const queue =
    input.queue === undefined ? DEFAULT_QUEUE : validateQueueName(input.queue, f("queue"));
  const args = input.args ?? [];
  if (!Array.isArray(args)) {
    throw new ValidationError(
      f("args"),
      `${f("args")}: expected an array of arguments, got ${describe(args)}`,
    );
  }
  const argsJson = JSON.stringify(toJson(args, f("args"), new Set()));
  const metadata = input.metadata ?? {};
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new ValidationError(
      f("metadata"),
      `${f("metadata")}: expected a plain object, got ${describe(metadata)}`,
    );
  }
  const metadataJson = JSON.stringify(toJson(metadata, f("metadata"), new Set()));
  // A UTF-16 code unit is at most 3 UTF-8 bytes: count bytes only when that bound is over the limit.
  const size =
    (argsJson.length + metadataJson.length) * 3 <= limits.maxPayloadBytes
      ? 0
      : Buffer.byteLength(argsJson) + Buffer.byteLength(metadataJson);
  if (size > limits.maxPayloadBytes) {
    throw new ValidationError(
      f("args"),
      `${f("args")}: payload is ${size} bytes encoded, over the limit of ${limits.maxPayloadBytes} bytes (args + metadata); store large data elsewhere and pass a reference`,
    );
  }
  const priority =
    input.priority === undefined
      ? 0
      : int(input.priority, f("priority"), PRIORITY_MIN, PRIORITY_MAX);
  let runAt = now;
  if (input.runAt !== undefined) runAt = date(input.runAt, f("runAt"));
  else if (input.delayMs !== undefined)
    runAt = new Date(now.getTime() + nonNegative(input.delayMs, f("delayMs")));
  let expiresAt: Date | null = null;
  if (input.expiresAt !== undefined) expiresAt = date(input.expiresAt, f("expiresAt"));
  else if (input.ttlMs !== undefined) {
    const ttl = nonNegative(input.ttlMs, f("ttlMs"));
    if (ttl === 0)
      throw new ValidationError(f("ttlMs"), `${f("ttlMs")}: expected a number > 0, got 0`);
    expiresAt = new Date(now.getTime() + ttl);
  }
  const maxRetries =
    input.maxRetries === undefined
      ? DEFAULT_MAX_RETRIES
      : int(input.maxRetries, f("maxRetries"), 0, 1000);
  const timeoutMs =
    input.timeoutMs === undefined || input.timeoutMs === null
      ? null
      : int(input.timeoutMs, f("timeoutMs"), 1, 2_147_483_647);
  const resultTtlMs =
    input.resultTtlMs === undefined || input.resultTtlMs === null
      ? null
      : int(input.resultTtlMs, f("resultTtlMs"), 1, Number.MAX_SAFE_INTEGER);
  const depsIn = input.dependsOn ?? [];
  if (!Array.isArray(depsIn)) {
    throw new ValidationError(
      f("dependsOn"),
      `${f("dependsOn")}: expected an array of task ids, got ${describe(depsIn)}`,
    );
  }
  const dependsOn =
    depsIn.length === 0
      ? []
      : [...new Set(depsIn.map((d, i) => validateId(d, `${f("dependsOn")}[${i}]`)))];
  if (dependsOn.includes(id)) {
    throw new ValidationError(
      f("dependsOn"),
      `${f("dependsOn")}: a task cannot depend on itself (${id})`,
    );
  }
  if (input.storeResult !== undefined && typeof input.storeResult !== "boolean") {
    throw new ValidationError(
      f("storeResult"),
      `${f("storeResult")}: expected a boolean, got ${describe(input.storeResult)}`,
    );
  }
  const scheduleId =
    input.scheduleId === undefined || input.scheduleId === null
      ? null
      : validateId(input.scheduleId, f("scheduleId"));
  const task: Task = {
    id,
    queue,
    name,
    args: args as unknown[],
    status: "pending",
    priority,
    runAt,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    expiresAt,
    attempts: 0,
    maxRetries,
    retry:
      input.retry === undefined
        ? { ...DEFAULT_RETRY_POLICY }
        : normalizeRetry(input.retry, f("retry")),
    timeoutMs,
    dependsOn,
    storeResult: input.storeResult ?? true,
    resultTtlMs,
    scheduleId,
    metadata: metadata as Record<string, unknown>,
    lastError: null,
    progress: null,
    workerId: null,
    leaseUntil: null,
    cancelReason: null,
  };
  return { task, argsJson, metadataJson };
}
