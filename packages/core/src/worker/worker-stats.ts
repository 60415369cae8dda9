/** Counters of one worker since it started (read `worker.stats`). */
export interface WorkerStats {
  /** Tasks claimed (attempts started). */
  claimed: number;
  succeeded: number;
  /** Final failures (no retry left, or unrecoverable). */
  failed: number;
  /** Failed attempts that were scheduled to run again. */
  retried: number;
  timedOut: number;
  /** Running tasks cancelled in this process (their handler was aborted). */
  cancelled: number;
  leaseLost: number;
  /** Tasks given back on stop without using an attempt. */
  released: number;
  /** Pending tasks this worker's sweeps marked expired. */
  expired: number;
  /** Lost leases this worker's sweeps recovered. */
  recovered: number;
  schedulesFired: number;
  /** Handlers running now. */
  inFlight: number;
  /** Tasks claimed ahead (leased to this worker) waiting for a free slot. */
  prefetched: number;
}

export function emptyStats(): WorkerStats {
  return {
    claimed: 0,
    succeeded: 0,
    failed: 0,
    retried: 0,
    timedOut: 0,
    cancelled: 0,
    leaseLost: 0,
    released: 0,
    expired: 0,
    recovered: 0,
    schedulesFired: 0,
    inFlight: 0,
    prefetched: 0,
  };
}
