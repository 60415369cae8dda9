/**
 * The worker's lifecycle. Every arrow is one row of {@link WORKER_TRANSITIONS}.
 *
 * ```text
 *   created ──start()──▶ running ──stop() / SIGINT / SIGTERM──▶ stopping ──▶ stopped
 *                                  (stop claiming; wait up to gracefulStopMs;
 *                                   abort and release what is still running)
 * ```
 */
export const WorkerState = {
  created: "created",
  running: "running",
  stopping: "stopping",
  stopped: "stopped",
} as const;
export type WorkerState = (typeof WorkerState)[keyof typeof WorkerState];

export const WORKER_TRANSITIONS = {
  created: ["running", "stopped"],
  running: ["stopping"],
  stopping: ["stopped"],
  stopped: [],
} as const satisfies Record<WorkerState, readonly WorkerState[]>;

/**
 * One attempt of one task inside a worker. Every arrow is one row of {@link ATTEMPT_TRANSITIONS};
 * the event each state records is in {@link ATTEMPT_EVENTS}.
 *
 * ```text
 *   claimed ──▶ running ──handler returned──────────────▶ succeeded   (queue.complete)
 *                 │ ─────handler threw, retries left────▶ retrying    (queue.fail + retryAt)
 *                 │ ─────threw, none left / Unrecoverable▶ failed     (queue.fail, final)
 *                 │ ─────timeoutMs passed───────────────▶ timed_out ──▶ retrying | failed
 *                 │ ─────heartbeat: LeaseLostError──────▶ lease_lost  (nothing written)
 *                 │ ─────cancelled in this process──────▶ cancelled   (nothing written)
 *                 └─────stop() grace period over────────▶ released    (queue.release)
 * ```
 *
 * The queue write happens before the move: a write refused with `LeaseLostError` moves
 * to `lease_lost` instead. States without arrows are final; once `lease_lost` or
 * `cancelled`, the handler's late outcome is discarded, so it never overwrites the new owner's.
 */
export const AttemptState = {
  claimed: "claimed",
  running: "running",
  succeeded: "succeeded",
  retrying: "retrying",
  failed: "failed",
  timed_out: "timed_out",
  lease_lost: "lease_lost",
  cancelled: "cancelled",
  released: "released",
} as const;
export type AttemptState = (typeof AttemptState)[keyof typeof AttemptState];

export const ATTEMPT_TRANSITIONS = {
  claimed: ["running", "released", "lease_lost", "cancelled"],
  running: ["succeeded", "retrying", "failed", "timed_out", "lease_lost", "cancelled", "released"],
  timed_out: ["retrying", "failed", "lease_lost", "cancelled"],
  succeeded: [],
  retrying: [],
  failed: [],
  lease_lost: [],
  cancelled: [],
  released: [],
} as const satisfies Record<AttemptState, readonly AttemptState[]>;

/** The event type recorded on entering each state (`null`: none). */
export const ATTEMPT_EVENTS = {
  claimed: "claimed",
  running: "started",
  succeeded: "succeeded",
  retrying: "retry_scheduled",
  failed: "failed",
  timed_out: "timed_out",
  lease_lost: "lease_lost",
  cancelled: null,
  released: "released",
} as const satisfies Record<AttemptState, string | null>;

/** Whether a state machine `table` allows `from → to`. */
export function canMove<S extends string>(table: Record<S, readonly S[]>, from: S, to: S): boolean {
  return table[from].includes(to);
}
