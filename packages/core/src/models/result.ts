import type { TaskError } from "./task.js";

/** The stored outcome of a finished task. */
export interface TaskResult<T = unknown> {
  taskId: string;
  status: "success" | "failed";
  /** The handler's return value (when `status` is `success`). */
  value?: T;
  error?: TaskError;
  attempts: number;
  startedAt: Date | null;
  finishedAt: Date;
  durationMs: number | null;
  workerId: string | null;
  /** Purged after this time; `null` keeps it until deleted. */
  expiresAt: Date | null;
  /** Task name and queue, kept for listing. */
  name?: string;
  queue?: string;
}
