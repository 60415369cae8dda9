/** Lifecycle event types recorded when event storage is configured. */
export const TaskEventType = {
  enqueued: "enqueued",
  claimed: "claimed",
  started: "started",
  progress: "progress",
  succeeded: "succeeded",
  failed: "failed",
  retry_scheduled: "retry_scheduled",
  timed_out: "timed_out",
  lease_lost: "lease_lost",
  lease_recovered: "lease_recovered",
  released: "released",
  expired: "expired",
  cancelled: "cancelled",
  redriven: "redriven",
  schedule_fired: "schedule_fired",
  schedule_paused: "schedule_paused",
  schedule_resumed: "schedule_resumed",
} as const;
export type TaskEventType = (typeof TaskEventType)[keyof typeof TaskEventType];

/** One lifecycle record. `id` is a UUIDv7, so ids sort by time. */
export interface TaskEvent {
  id: string;
  /** The task's id, or the schedule's id for `schedule_*` events. */
  taskId: string;
  type: TaskEventType;
  at: Date;
  queue: string;
  workerId: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

/** What a caller gives to append an event; `id` and `at` default to now. */
export type NewTaskEvent = Omit<TaskEvent, "id" | "at" | "workerId" | "attempt" | "data"> &
  Partial<Pick<TaskEvent, "id" | "at" | "workerId" | "attempt" | "data">>;

export interface EventQuery {
  taskId?: string;
  queue?: string;
  types?: readonly TaskEventType[];
  /** Inclusive lower bound on `at`. */
  since?: Date;
  /** Exclusive upper bound on `at`. */
  until?: Date;
  /** @defaultValue 100 */
  limit?: number;
  /** @defaultValue "asc" */
  order?: "asc" | "desc";
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}
