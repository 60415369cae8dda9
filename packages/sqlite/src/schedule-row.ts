import { BackendError, decode, encode, type Schedule, type SchedulePatch } from "@omniq/core";

/** A row of the `schedules` table. */
export interface ScheduleRow {
  id: string;
  name: string;
  args: string;
  queue: string;
  cron: string | null;
  timezone: string | null;
  every_ms: number | null;
  at: number | null;
  status: string;
  next_run_at: number | null;
  last_run_at: number | null;
  run_count: number;
  max_runs: number | null;
  task_options: string;
  created_at: number;
  updated_at: number;
}

const COLUMNS = [
  "id",
  "name",
  "args",
  "queue",
  "cron",
  "timezone",
  "every_ms",
  "at",
  "status",
  "next_run_at",
  "last_run_at",
  "run_count",
  "max_runs",
  "task_options",
  "created_at",
  "updated_at",
] as const;

export const PUT_SCHEDULE = `insert into schedules (${COLUMNS.join(", ")})
  values (${COLUMNS.map(() => "?").join(", ")})
  on conflict (id) do update set ${COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(", ")}`;
export const SELECT_SCHEDULE = "select * from schedules where id = ?";
export const LIST_SCHEDULES = "select * from schedules order by created_at, id";
export const LIST_SCHEDULES_BY_STATUS =
  "select * from schedules where status = ? order by created_at, id";
export const DELETE_SCHEDULE = "delete from schedules where id = ?";
export const DUE_SCHEDULES = `select * from schedules
  where status = 'active' and next_run_at is not null and next_run_at <= ?
  order by next_run_at limit ?`;

const PATCH: Readonly<Record<string, string>> = {
  status: "status",
  nextRunAt: "next_run_at",
  lastRunAt: "last_run_at",
  runCount: "run_count",
  updatedAt: "updated_at",
};

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
const date = (n: number | null): Date | null => (n === null ? null : new Date(n));

export function scheduleParams(s: Schedule): unknown[] {
  return [
    s.id,
    s.name,
    encode(s.args, "args"),
    s.queue,
    s.cron,
    s.timezone,
    s.everyMs,
    ms(s.at),
    s.status,
    ms(s.nextRunAt),
    ms(s.lastRunAt),
    s.runCount,
    s.maxRuns,
    encode(s.taskOptions, "taskOptions"),
    s.createdAt.getTime(),
    s.updatedAt.getTime(),
  ];
}

/** Compare-and-set update; `expect` (when given) must equal `next_run_at`, on an active schedule. */
export function updateScheduleSql(
  patch: SchedulePatch,
  expect: Date | null | undefined,
): { sql: string; params: unknown[] } {
  const keys = Object.keys(patch).filter((k) => PATCH[k] !== undefined);
  const params: unknown[] = keys.map((k) => {
    const v = patch[k as keyof SchedulePatch];
    return v instanceof Date ? v.getTime() : (v ?? null);
  });
  const set = keys.length === 0 ? "id = id" : keys.map((k) => `${PATCH[k]} = ?`).join(", ");
  let where = "id = ?";
  // A tick is claimed only from an active schedule (pausing keeps next_run_at).
  if (expect !== undefined) where += " and next_run_at is ? and status = 'active'";
  return { sql: `update schedules set ${set} where ${where} returning *`, params };
}

function json<T>(row: ScheduleRow, column: string, text: string): T {
  try {
    return decode<T>(text);
  } catch (err) {
    throw new BackendError(
      `sqlite: schedule ${row.id} has corrupt ${column} JSON (${(err as Error).message}); fix or remove the schedule`,
      { cause: err },
    );
  }
}

export function rowToSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    name: row.name,
    args: json<unknown[]>(row, "args", row.args),
    queue: row.queue,
    cron: row.cron,
    timezone: row.timezone,
    everyMs: row.every_ms,
    at: date(row.at),
    status: row.status as Schedule["status"],
    nextRunAt: date(row.next_run_at),
    lastRunAt: date(row.last_run_at),
    runCount: row.run_count,
    maxRuns: row.max_runs,
    taskOptions: json<Record<string, unknown>>(row, "task_options", row.task_options),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
