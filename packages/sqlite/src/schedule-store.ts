import type { Schedule, SchedulePatch } from "@omniq/core";
import {
  DELETE_SCHEDULE,
  DUE_SCHEDULES,
  LIST_SCHEDULES,
  LIST_SCHEDULES_BY_STATUS,
  PUT_SCHEDULE,
  rowToSchedule,
  SELECT_SCHEDULE,
  type ScheduleRow,
  scheduleParams,
  updateScheduleSql,
} from "./schedule-row.js";
import type { SqliteHandle } from "./sqlite-handle.js";

/** The queue's schedule primitives, each one statement (run inside `SqliteHandle.run`). */

export function putSchedule(h: SqliteHandle, schedule: Schedule): void {
  h.prepare(PUT_SCHEDULE).run(scheduleParams(schedule));
}

export function readSchedule(h: SqliteHandle, id: string): Schedule | null {
  const row = h.prepare(SELECT_SCHEDULE).get(id) as ScheduleRow | undefined;
  return row ? rowToSchedule(row) : null;
}

export function listSchedules(h: SqliteHandle, status?: Schedule["status"]): Schedule[] {
  const rows = (
    status === undefined
      ? h.prepare(LIST_SCHEDULES).all()
      : h.prepare(LIST_SCHEDULES_BY_STATUS).all(status)
  ) as ScheduleRow[];
  return rows.map(rowToSchedule);
}

/** Compare-and-set on `next_run_at` when `expect` is given. */
export function updateSchedule(
  h: SqliteHandle,
  id: string,
  patch: SchedulePatch,
  expect?: Date | null,
): Schedule | null {
  const { sql, params } = updateScheduleSql(patch, expect);
  params.push(id);
  if (expect !== undefined) params.push(expect?.getTime() ?? null);
  const row = h.prepare(sql).get(...params) as ScheduleRow | undefined;
  return row ? rowToSchedule(row) : null;
}

export function deleteSchedule(h: SqliteHandle, id: string): boolean {
  return h.prepare(DELETE_SCHEDULE).run(id).changes > 0;
}

/** Active schedules due by `now`; one with corrupt JSON cannot fire (reading it reports the error). */
export function dueSchedules(h: SqliteHandle, now: Date, limit: number): Schedule[] {
  const rows = h.prepare(DUE_SCHEDULES).all(now.getTime(), limit) as ScheduleRow[];
  const out: Schedule[] = [];
  for (const row of rows) {
    try {
      out.push(rowToSchedule(row));
    } catch {
      // skipped: see above
    }
  }
  return out;
}
