import { toJson } from "../codec.js";
import { ValidationError } from "../errors.js";
import { describe, uuidv7, validateId, validateQueueName } from "../ids.js";
import type { NewSchedule, Schedule } from "../models/schedule.js";
import { DEFAULT_QUEUE } from "../models/task.js";
import { nextTick, validateCron } from "../schedule-clock.js";
import { validateTaskName } from "./normalize-task.js";

/** Validates a {@link NewSchedule} and computes its first tick. */
export function prepareSchedule(input: NewSchedule, now: Date): Schedule {
  if (input === null || typeof input !== "object") {
    throw new ValidationError("schedule", `schedule: expected an object, got ${describe(input)}`);
  }
  const id = input.id === undefined ? uuidv7(now.getTime()) : validateId(input.id, "id");
  if (id.length > 96) throw new ValidationError("id", "id: schedule ids are at most 96 characters");
  const name = validateTaskName(input.name);
  const queue = input.queue === undefined ? DEFAULT_QUEUE : validateQueueName(input.queue);
  const args = [...(input.args ?? [])];
  toJson(args, "args", new Set());
  const kinds = [
    input.cron !== undefined,
    input.everyMs !== undefined,
    input.at !== undefined,
  ].filter(Boolean).length;
  if (kinds !== 1) {
    throw new ValidationError("cron", "schedule: give exactly one of cron, everyMs or at");
  }
  let cron: string | null = null;
  let timezone: string | null = null;
  let everyMs: number | null = null;
  let at: Date | null = null;
  if (input.cron !== undefined) {
    if (typeof input.cron !== "string")
      throw new ValidationError("cron", `cron: expected a string, got ${describe(input.cron)}`);
    timezone = input.timezone ?? "UTC";
    validateCron(input.cron, timezone);
    cron = input.cron;
  } else if (input.everyMs !== undefined) {
    if (!Number.isInteger(input.everyMs) || input.everyMs < 1) {
      throw new ValidationError(
        "everyMs",
        `everyMs: expected a positive integer, got ${String(input.everyMs)}`,
      );
    }
    everyMs = input.everyMs;
  } else {
    if (!(input.at instanceof Date) || Number.isNaN(input.at.getTime())) {
      throw new ValidationError("at", `at: expected a valid Date, got ${describe(input.at)}`);
    }
    at = input.at;
  }
  if (input.maxRuns !== undefined && (!Number.isInteger(input.maxRuns) || input.maxRuns < 1)) {
    throw new ValidationError(
      "maxRuns",
      `maxRuns: expected a positive integer, got ${String(input.maxRuns)}`,
    );
  }
  const taskOptions = input.taskOptions ?? {};
  toJson(taskOptions, "taskOptions", new Set());
  let nextRunAt: Date | null;
  if (at) nextRunAt = at;
  else if (everyMs && input.startAt) nextRunAt = input.startAt;
  else nextRunAt = nextTick({ cron, timezone, everyMs, at }, now);
  return {
    id,
    name,
    args,
    queue,
    cron,
    timezone,
    everyMs,
    at,
    status: "active",
    nextRunAt,
    lastRunAt: null,
    runCount: 0,
    maxRuns: input.maxRuns ?? null,
    taskOptions,
    createdAt: now,
    updatedAt: now,
  };
}

/** Whether two schedules have the same definition (ignoring run state). */
export function schedulesEqual(a: Schedule, b: Schedule): boolean {
  const def = (s: Schedule) =>
    JSON.stringify(
      toJson(
        [s.name, s.args, s.queue, s.cron, s.timezone, s.everyMs, s.at, s.maxRuns, s.taskOptions],
        "schedule",
        new Set(),
      ),
    );
  return def(a) === def(b);
}
