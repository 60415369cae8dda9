import { ValidationError } from "../errors.js";
import { validateId, validateQueueName } from "../ids.js";
import type { Logger } from "../logger.js";
import type { TaskExecutor } from "./task-executor.js";

/** Options of {@link Worker}; every field has a default. */
export interface WorkerOptions {
  /** Queues to claim from, in priority order. @defaultValue ["default"] */
  queues?: readonly string[];
  /** Handlers running at once. @defaultValue 10 */
  concurrency?: number;
  /** Lease length; renewed every `leaseMs / 3` while the worker holds the task. @defaultValue 30_000 */
  leaseMs?: number;
  /** Adaptive poll interval when idle: starts at `min`, doubles up to `max`. @defaultValue { min: 5, max: 1000 } */
  pollIntervalMs?: { min?: number; max?: number };
  /** On stop, how long in-flight tasks may finish before they are aborted and released. @defaultValue 10_000 */
  gracefulStopMs?: number;
  /**
   * Most tasks claimed ahead of free slots (like Celery's prefetch or graphile-worker's local
   * queue): they are leased to this worker and start as slots free up, so a fast handler does
   * not wait for a claim round-trip. The worker claims ahead only as many as it expects to
   * start within {@link PREFETCH_WINDOW_MS} (from the average handler duration so far), so
   * slow tasks are not hoarded away from other workers; `0` turns it off.
   * @defaultValue 100
   */
  prefetch?: number;
  /** Most tasks claimed in one `dequeueMany` (also bounded by free slots plus `prefetch`). @defaultValue concurrency + prefetch */
  batchSize?: number;
  /** Runs the handlers. The worker closes it on stop. @defaultValue in-process, from the `AsyncOmniQ` registry */
  executor?: TaskExecutor;
  /** Stop gracefully on SIGINT/SIGTERM (a second signal aborts at once). @defaultValue true for `run()`, false for `start()` */
  handleSignals?: boolean;
  /** Fire due schedules (the queue makes each tick fire once across workers). @defaultValue true */
  schedules?: boolean;
  /**
   * Schedules fire at their `nextRunAt` (the worker reads the active schedules and sets a
   * timer for the earliest); this is how often it re-reads them at the latest, which bounds
   * how late a schedule added or changed by another process can fire. @defaultValue 1000
   */
  scheduleTickMs?: number;
  /** How often expired TTLs and lost leases are swept (`expireOverdue`, `recoverExpiredLeases`). @defaultValue 1000 */
  maintenanceMs?: number;
  /** How long completions collect before one `completeMany`; `0`: the same event-loop turn. @defaultValue 1 */
  completionFlushMs?: number;
  /** Lease holder id. @defaultValue `<host>-<pid>-<random>` */
  workerId?: string;
  /** Library logger. @defaultValue the `AsyncOmniQ`'s logger */
  logger?: Logger;
}

export interface ResolvedWorkerOptions {
  queues: string[];
  concurrency: number;
  leaseMs: number;
  pollMin: number;
  pollMax: number;
  gracefulStopMs: number;
  prefetch: number;
  batchSize: number;
  handleSignals: boolean | undefined;
  schedules: boolean;
  scheduleTickMs: number;
  maintenanceMs: number;
  completionFlushMs: number;
  workerId: string | undefined;
}

export const WORKER_DEFAULTS = {
  queues: ["default"],
  concurrency: 10,
  leaseMs: 30_000,
  pollIntervalMs: { min: 5, max: 1000 },
  gracefulStopMs: 10_000,
  prefetch: 100,
  schedules: true,
  scheduleTickMs: 1000,
  maintenanceMs: 1000,
  completionFlushMs: 1,
} as const satisfies WorkerOptions;

function int(value: unknown, field: string, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ValidationError(
      field,
      `worker: ${field}: expected an integer >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * A worker claims ahead only the tasks it expects to start within this many milliseconds,
 * judged from the average duration of its handlers (see `WorkerOptions.prefetch`).
 */
export const PREFETCH_WINDOW_MS = 50;

/** Validates worker options and fills defaults; errors name the option. */
export function resolveWorkerOptions(options: WorkerOptions = {}): ResolvedWorkerOptions {
  const queues = [...(options.queues ?? WORKER_DEFAULTS.queues)].map((q, i) =>
    validateQueueName(q, `queues[${i}]`),
  );
  if (queues.length === 0)
    throw new ValidationError("queues", "worker: queues: expected at least one queue name");
  const concurrency = int(options.concurrency ?? WORKER_DEFAULTS.concurrency, "concurrency", 1);
  const pollMin = int(
    options.pollIntervalMs?.min ?? WORKER_DEFAULTS.pollIntervalMs.min,
    "pollIntervalMs.min",
    1,
  );
  const pollMax = int(
    options.pollIntervalMs?.max ?? Math.max(pollMin, WORKER_DEFAULTS.pollIntervalMs.max),
    "pollIntervalMs.max",
    pollMin,
  );
  const prefetch = int(options.prefetch ?? WORKER_DEFAULTS.prefetch, "prefetch", 0);
  return {
    queues: [...new Set(queues)],
    concurrency,
    leaseMs: int(options.leaseMs ?? WORKER_DEFAULTS.leaseMs, "leaseMs", 3),
    pollMin,
    pollMax,
    gracefulStopMs: int(
      options.gracefulStopMs ?? WORKER_DEFAULTS.gracefulStopMs,
      "gracefulStopMs",
      0,
    ),
    prefetch,
    batchSize: int(options.batchSize ?? concurrency + prefetch, "batchSize", 1),
    handleSignals: options.handleSignals,
    schedules: options.schedules ?? WORKER_DEFAULTS.schedules,
    scheduleTickMs: int(
      options.scheduleTickMs ?? WORKER_DEFAULTS.scheduleTickMs,
      "scheduleTickMs",
      1,
    ),
    maintenanceMs: int(options.maintenanceMs ?? WORKER_DEFAULTS.maintenanceMs, "maintenanceMs", 1),
    completionFlushMs: int(
      options.completionFlushMs ?? WORKER_DEFAULTS.completionFlushMs,
      "completionFlushMs",
      0,
    ),
    workerId: options.workerId === undefined ? undefined : validateId(options.workerId, "workerId"),
  };
}
