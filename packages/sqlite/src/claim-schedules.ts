import {
  type NewTask,
  nextTick,
  type PreparedTask,
  prepareTask,
  type ScheduleFiring,
  type TaskLimits,
  ValidationError,
} from "@omniq/core";
import { insertTasks, readTask } from "./insert-tasks.js";
import { dueSchedules, updateSchedule } from "./schedule-store.js";
import type { SqliteHandle } from "./sqlite-handle.js";

/** Most schedules one claim fires (as core's generic version). */
const CLAIM_LIMIT = 100;

/** What {@link claimDueSchedules} did: the ticks it fired, and why others could not fire. */
export interface ScheduleClaim {
  fired: ScheduleFiring[];
  errors: unknown[];
}

const DEAD = new Set(["failed", "cancelled", "expired"]);

/**
 * Fires the due ticks; call inside ONE write transaction, so advancing a schedule (its
 * compare-and-set on `next_run_at`) and inserting its task commit together or not at all.
 * A schedule whose task cannot be built (say `taskOptions` the queue rejects) is left due
 * and its error returned; the others still fire.
 */
export function claimDueSchedules(h: SqliteHandle, now: Date, limits: TaskLimits): ScheduleClaim {
  const fired: ScheduleFiring[] = [];
  const errors: unknown[] = [];
  for (const s of dueSchedules(h, now, CLAIM_LIMIT)) {
    const tick = s.nextRunAt;
    if (!tick) continue;
    let prepared: PreparedTask;
    try {
      prepared = prepareTask(
        {
          ...(s.taskOptions as Partial<NewTask>),
          id: `${s.id}-${tick.getTime()}`,
          name: s.name,
          args: s.args,
          queue: s.queue,
          scheduleId: s.id,
        },
        now,
        limits,
        "taskOptions",
      );
      gateDependencies(h, prepared, now);
    } catch (err) {
      errors.push(
        err instanceof ValidationError
          ? new ValidationError(err.field, `schedule ${s.id}: ${err.message}`, { cause: err })
          : err,
      );
      continue;
    }
    const runCount = s.runCount + 1;
    const done = s.maxRuns !== null && runCount >= s.maxRuns;
    const next = done ? null : nextTick(s, now, s.everyMs ? tick : null);
    const won = updateSchedule(
      h,
      s.id,
      { nextRunAt: next, lastRunAt: tick, runCount, updatedAt: now },
      tick,
    );
    if (!won) continue;
    const stored = insertTasks(h, [prepared]);
    fired.push({ schedule: won, task: stored?.[0] ?? prepared.task, tick });
  }
  return { fired, errors };
}

/** As core's enqueue: dependencies must exist; a dead one cancels the task at once. */
function gateDependencies(h: SqliteHandle, p: PreparedTask, now: Date): void {
  for (const [i, dep] of p.task.dependsOn.entries()) {
    const stored = readTask(h, dep);
    if (!stored) {
      const field = `taskOptions.dependsOn[${i}]`;
      throw new ValidationError(field, `${field}: task ${dep} does not exist`);
    }
    if (DEAD.has(stored.status)) {
      p.task.status = "cancelled";
      p.task.finishedAt = now;
      p.task.cancelReason = `dependency ${dep} ${stored.status}`;
    }
  }
}
