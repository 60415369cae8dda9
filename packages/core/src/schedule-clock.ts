import { Cron } from "croner";
import { ValidationError } from "./errors.js";
import type { Schedule } from "./models/schedule.js";

/** Checks a cron expression and time zone; throws {@link ValidationError} naming the field. */
export function validateCron(expr: string, timezone: string | undefined, field = "cron"): void {
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    } catch (err) {
      throw new ValidationError(
        "timezone",
        `timezone: ${JSON.stringify(timezone)} is not an IANA time zone (e.g. "Europe/Paris", "UTC")`,
        { cause: err },
      );
    }
  }
  try {
    new Cron(expr, { timezone, paused: true }).nextRun();
  } catch (err) {
    throw new ValidationError(
      field,
      `${field}: invalid cron expression ${JSON.stringify(expr)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/**
 * The first tick of `schedule` strictly after `after`, or `null` when it has none.
 * Missed ticks are not replayed: a schedule that was due long ago fires once, then
 * continues from the next tick after now (the policy of Celery beat and BullMQ).
 */
export function nextTick(
  schedule: Pick<Schedule, "cron" | "timezone" | "everyMs" | "at">,
  after: Date,
  anchor?: Date | null,
): Date | null {
  if (schedule.cron) {
    const cron = new Cron(schedule.cron, { timezone: schedule.timezone ?? "UTC", paused: true });
    return cron.nextRun(after) ?? null;
  }
  if (schedule.everyMs) {
    const every = schedule.everyMs;
    if (!anchor) return new Date(after.getTime() + every);
    const n = Math.floor((after.getTime() - anchor.getTime()) / every) + 1;
    return new Date(anchor.getTime() + Math.max(1, n) * every);
  }
  if (schedule.at) return schedule.at.getTime() > after.getTime() ? schedule.at : null;
  return null;
}
