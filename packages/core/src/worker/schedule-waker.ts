import type { ScheduleFiring, TaskQueue } from "../contracts/queue-types.js";
import type { Logger } from "../logger.js";

/**
 * When a worker should next claim due schedules: at the earliest `nextRunAt` of the active
 * schedules (read with `queue.listSchedules({ status: "active" })` and cached), and at
 * least every `recheckMs`, so schedules added or changed by other processes are found too.
 * A schedule added through the facade in this process marks the cache stale (the
 * `WakeHub` tells the worker). Exactly-once stays the queue's job (`claimDueSchedules`).
 * (Internal to the worker.)
 *
 * @example
 * ```ts
 * const waker = new ScheduleWaker(queue, 1000, logger);
 * for (;;) {
 *   await sleep(waker.nextCheckAt() - Date.now());
 *   await waker.check(new Date(), (now) => maintenance.fireSchedules(now));
 * }
 * ```
 */
export class ScheduleWaker {
  readonly #queue: TaskQueue;
  readonly #recheckMs: number;
  readonly #logger: Logger;
  /** Active schedule id → its `nextRunAt` (ms). */
  readonly #next = new Map<string, number>();
  #stale = true;
  #recheckAt = 0;

  constructor(queue: TaskQueue, recheckMs: number, logger: Logger) {
    this.#queue = queue;
    this.#recheckMs = recheckMs;
    this.#logger = logger;
  }

  /** Re-read the schedules at the next check (something changed them). */
  markStale(): void {
    this.#stale = true;
  }

  /** The earliest cached `nextRunAt`, bounded by the next periodic re-check (ms since epoch). */
  nextCheckAt(): number {
    if (this.#stale) return 0;
    let at = this.#recheckAt;
    for (const t of this.#next.values()) if (t < at) at = t;
    return at;
  }

  /**
   * Claims due ticks through `fire` when something is due (or a re-check is), then updates
   * the cache. A woken-too-early call does nothing.
   */
  async check(now: Date, fire: (now: Date) => Promise<ScheduleFiring[]>): Promise<void> {
    const t = now.getTime();
    const full = this.#stale || t >= this.#recheckAt;
    if (!full && t < this.nextCheckAt()) return;
    this.#stale = false;
    const fired = await fire(now);
    for (const f of fired) this.#set(f.schedule.id, f.schedule.status, f.schedule.nextRunAt);
    if (full || this.#anyDue(t)) await this.#refresh();
    if (full) this.#recheckAt = Date.now() + this.#recheckMs;
    // Due but not fired by this claim (fired elsewhere would have moved on): e.g. a row the
    // queue cannot read. Leave it to the periodic re-check instead of claiming in a loop.
    if (fired.length === 0) {
      for (const [id, at] of this.#next) if (at <= t) this.#next.delete(id);
    }
  }

  #anyDue(t: number): boolean {
    for (const at of this.#next.values()) if (at <= t) return true;
    return false;
  }

  #set(id: string, status: string, nextRunAt: Date | null): void {
    if (status === "active" && nextRunAt) this.#next.set(id, nextRunAt.getTime());
    else this.#next.delete(id);
  }

  async #refresh(): Promise<void> {
    try {
      const active = await this.#queue.listSchedules({ status: "active" });
      this.#next.clear();
      for (const s of active) this.#set(s.id, s.status, s.nextRunAt);
    } catch (err) {
      // Fall back to the periodic re-check alone.
      this.#next.clear();
      this.#logger.warn({ err }, "omniq: reading schedules failed; checking every scheduleTickMs");
    }
  }
}
