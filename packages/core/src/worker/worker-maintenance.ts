import type { ScheduleFiring } from "../contracts/queue-types.js";
import type { WorkerRuntime } from "./worker-runtime.js";

/**
 * A worker's periodic duties besides claiming: firing due schedules (the queue makes each
 * tick fire once across processes) and sweeping expired TTLs and lost leases. Each records
 * its events and wakes in-process workers and waiters. Failures are logged, never thrown.
 */
export class WorkerMaintenance {
  readonly #rt: WorkerRuntime;

  constructor(rt: WorkerRuntime) {
    this.#rt = rt;
  }

  /**
   * Claims due schedule ticks; records `schedule_fired` (on the schedule) and `enqueued` (on
   * the task). Returns what fired (nothing when the claim failed).
   */
  async fireSchedules(now: Date = new Date()): Promise<ScheduleFiring[]> {
    const { queue, recorder, hub, stats, workerId, logger } = this.#rt;
    try {
      const fired = await queue.claimDueSchedules(now);
      for (const f of fired) {
        stats.schedulesFired++;
        recorder.record({
          taskId: f.schedule.id,
          type: "schedule_fired",
          queue: f.schedule.queue,
          workerId,
          data: { taskId: f.task.id, tick: f.tick.toISOString(), runCount: f.schedule.runCount },
        });
        recorder.record({
          taskId: f.task.id,
          type: "enqueued",
          queue: f.task.queue,
          workerId,
          data: { scheduleId: f.schedule.id },
        });
        hub.enqueued(f.task.queue, f.task.runAt);
      }
      return fired;
    } catch (err) {
      logger.warn({ err, workerId }, "omniq: firing schedules failed");
      return [];
    }
  }

  /** `expireOverdue` (records `expired`) and `recoverExpiredLeases` (records `lease_recovered`). */
  async sweep(): Promise<void> {
    const { queue, recorder, hub, stats, workerId, logger } = this.#rt;
    try {
      for (const t of await queue.expireOverdue()) {
        stats.expired++;
        recorder.record({
          taskId: t.id,
          type: "expired",
          queue: t.queue,
          workerId,
          data: { expiresAt: t.expiresAt?.toISOString() ?? null },
        });
        hub.finished(t.id);
        await this.#rt.recordCascade(t);
      }
      for (const t of await queue.recoverExpiredLeases()) {
        stats.recovered++;
        const base = { taskId: t.id, queue: t.queue, workerId, attempt: t.attempts };
        recorder.record({ ...base, type: "lease_recovered", data: { status: t.status } });
        if (t.status === "pending") {
          hub.enqueued(t.queue, t.runAt);
          continue;
        }
        // No retry was left: the queue failed it for good.
        const e = t.lastError;
        recorder.record({
          ...base,
          type: "failed",
          data: { error: e ? { name: e.name, message: e.message, kind: e.kind ?? null } : null },
        });
        hub.finished(t.id);
        await this.#rt.recordCascade(t);
      }
    } catch (err) {
      logger.warn({ err, workerId }, "omniq: maintenance sweep failed");
    }
  }
}
