/** A recurring or one-shot schedule that enqueues a task at each tick. */
export interface Schedule {
  id: string;
  /** The task name enqueued at each tick. */
  name: string;
  args: unknown[];
  queue: string;
  /** Cron expression (5 or 6 fields); exactly one of `cron`, `everyMs`, `at`. */
  cron: string | null;
  /** IANA time zone for `cron`. @defaultValue "UTC" */
  timezone: string | null;
  everyMs: number | null;
  at: Date | null;
  status: "active" | "paused";
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  runCount: number;
  maxRuns: number | null;
  /** Options applied to each enqueued task. */
  taskOptions: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewSchedule {
  id?: string;
  name: string;
  args?: readonly unknown[];
  queue?: string;
  cron?: string;
  timezone?: string;
  everyMs?: number;
  at?: Date;
  maxRuns?: number;
  /** First tick for `everyMs` (default: now + everyMs). */
  startAt?: Date;
  taskOptions?: Record<string, unknown>;
}

export type SchedulePatch = Partial<
  Pick<Schedule, "status" | "nextRunAt" | "lastRunAt" | "runCount" | "updatedAt">
>;
