import { type TaskFilter, type TaskGuard, ValidationError } from "@omniq/core";
import { DEFAULT_RETRY_JSON, PATCH_COLUMNS, TASK_COLUMNS } from "./task-row.js";

/**
 * The queue's hot-path SQL, written once and run as cached better-sqlite3 prepared
 * statements (see the README: kysely builds the schema, not the per-task queries).
 * Exported as `@omniq/sqlite/sql` so benchmarks can run the same statements on raw
 * better-sqlite3; not a stable API.
 */

const COLS = TASK_COLUMNS.join(", ");
const ROW = `(${TASK_COLUMNS.map(() => "?").join(", ")})`;

export const INSERT_ONE = `insert into tasks (${COLS}) values ${ROW} on conflict (id) do nothing`;
/**
 * The common new task (pending, default retry, no TTL, timeout, dependencies, schedule or
 * metadata, result stored forever): fewer bound values, which is most of an insert's cost.
 * Params: id, queue, name, args, priority, run_at, max_retries, created_at, updated_at.
 */
export const INSERT_LEAN = `insert into tasks (id, queue, name, args, status, priority, run_at,
    max_retries, created_at, updated_at, attempts, retry, depends_on, store_result, metadata)
  values (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, 0, '${DEFAULT_RETRY_JSON}', '[]', 1, '{}')
  on conflict (id) do nothing`;
/** Most rows of one multi-row lean insert (9 bound values a row). */
export const LEAN_ROWS_MAX = 64;
const LEAN_ROW = `(?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, 0, '${DEFAULT_RETRY_JSON}', '[]', 1, '{}')`;
const leanRowsCache = new Map<number, string>();
/**
 * `INSERT_LEAN` for `rows` rows in one statement (bulk enqueue): params are `rows` times
 * INSERT_LEAN's nine. Rows go in in the order given, so `seq` follows it.
 */
export function insertLeanRows(rows: number): string {
  let sql = leanRowsCache.get(rows);
  if (sql === undefined) {
    const values = Array.from({ length: rows }, () => LEAN_ROW).join(", ");
    sql = `insert into tasks (id, queue, name, args, status, priority, run_at,
    max_retries, created_at, updated_at, attempts, retry, depends_on, store_result, metadata)
  values ${values}
  on conflict (id) do nothing`;
    leanRowsCache.set(rows, sql);
  }
  return sql;
}
export const INSERT_DEP = "insert or ignore into task_deps (task_id, dep_id) values (?, ?)";
export const MAX_SEQ = "select coalesce(max(seq), 0) from tasks";
export const IDS_SINCE = "select id from tasks where seq > ?";

export const SELECT_TASK = "select * from tasks where id = ?";
export const SELECT_STATE = "select status, worker_id from tasks where id = ?";

/** A pending task's dependencies are met when none of them exists with a status other than success. */
const DEPS_MET = `(t.depends_on = '[]' or not exists (
  select 1 from task_deps d join tasks p on p.id = d.dep_id
  where d.task_id = t.id and p.status <> 'success'))`;

/** Candidate tasks of one queue in dequeue order; served by the `tasks_dequeue` index. */
export const DEQUEUE_CANDIDATES = `select t.seq from tasks t indexed by tasks_dequeue
  where t.queue = ? and t.status = 'pending' and t.run_at <= ?
    and (t.expires_at is null or t.expires_at > ?) and ${DEPS_MET}
  order by t.priority desc, t.run_at, t.seq limit ?`;

/** Params: workerId, leaseUntil, now, now, queue, now, now, limit. */
export const CLAIM = `update tasks set status = 'running', worker_id = ?, lease_until = ?,
    started_at = ?, updated_at = ?, attempts = attempts + 1
  where seq in (${DEQUEUE_CANDIDATES}) returning *`;

/** Params: now, now, id, workerId. */
export const COMPLETE = `update tasks set status = 'success', finished_at = ?, updated_at = ?,
    lease_until = null
  where id = ? and status = 'running' and worker_id = ? returning *`;

/**
 * COMPLETE for many tasks of one worker at one time, in one statement (the worker's batched
 * completions). Params: now, now, JSON array of ids, workerId. RETURNING order is unspecified.
 */
export const COMPLETE_MANY = `update tasks set status = 'success', finished_at = ?, updated_at = ?,
    lease_until = null
  where id in (select value from json_each(?)) and status = 'running' and worker_id = ?
  returning *`;

/** A claimed row whose JSON does not parse is failed instead of handed to a worker. */
export const FAIL_CORRUPT = `update tasks set status = 'failed', finished_at = ?, updated_at = ?,
    lease_until = null, last_error = ?
  where seq = ? and status = 'running' and worker_id = ?`;

const LEASE_ERROR = (retryable: boolean) => `json_object('name', 'LeaseExpired',
  'message', 'lease of worker ' || coalesce(worker_id, 'null') || ' ran out at '
    || strftime('%Y-%m-%dT%H:%M:%fZ', lease_until / 1000.0, 'unixepoch'),
  'retryable', json('${retryable}'), 'kind', 'lease_expired')`;

/** Params: now, now, now, limit. Leases that ran out with a retry left go back to pending. */
export const RECOVER_RETRY = `update tasks set status = 'pending', run_at = ?, updated_at = ?,
    last_error = ${LEASE_ERROR(true)}, lease_until = null, worker_id = null
  where seq in (select seq from tasks where status = 'running' and lease_until < ?
    and attempts <= max_retries limit ?) returning *`;

/** Params: now, now, now, limit. Leases that ran out on the last attempt fail the task. */
export const RECOVER_FAIL = `update tasks set status = 'failed', finished_at = ?, updated_at = ?,
    last_error = ${LEASE_ERROR(false)}, lease_until = null
  where seq in (select seq from tasks where status = 'running' and lease_until < ?
    and attempts > max_retries limit ?) returning *`;

/** Params: now, now, now, limit. */
export const EXPIRE = `update tasks set status = 'expired', finished_at = ?, updated_at = ?
  where seq in (select seq from tasks indexed by tasks_expiry
    where status = 'pending' and expires_at is not null and expires_at <= ? limit ?) returning *`;

export const FIND_EXPIRED_LEASES =
  "select * from tasks where status = 'running' and lease_until < ? limit ?";
export const FIND_OVERDUE =
  "select * from tasks indexed by tasks_expiry where status = 'pending' and expires_at is not null and expires_at <= ? limit ?";

export const DELETE_TASK_DEPS = "delete from task_deps where task_id = ?";
export const DELETE_TASK = "delete from tasks where id = ?";

/** Compare-and-set update of the patched columns. */
export function updateSql(keys: readonly string[], guard: TaskGuard): string {
  const set = keys.map((k) => `${PATCH_COLUMNS[k]} = ?`).join(", ");
  let where = `id = ? and status in (${guard.statuses.map(() => "?").join(", ")})`;
  if (guard.workerId !== undefined) where += " and worker_id = ?";
  if (guard.leaseUntil !== undefined) where += " and lease_until is ?";
  return `update tasks set ${set} where ${where} returning *`;
}

/** WHERE clause (over alias `t`) and params of a task filter. */
export function filterSql(filter: TaskFilter): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter.queue !== undefined) {
    parts.push("t.queue = ?");
    params.push(filter.queue);
  }
  if (filter.statuses !== undefined) {
    const [only] = filter.statuses;
    if (filter.statuses.length === 0) parts.push("0");
    else if (filter.statuses.length === 1 && (only === "pending" || only === "running")) {
      // A literal, so the planner can use the partial index of that status (tasks_dequeue,
      // tasks_lease): a bound value cannot prove a partial index's WHERE.
      parts.push(`t.status = '${only}'`);
    } else {
      parts.push(`t.status in (${filter.statuses.map(() => "?").join(", ")})`);
      params.push(...filter.statuses);
    }
  }
  if (filter.name !== undefined) {
    parts.push("t.name = ?");
    params.push(filter.name);
  }
  if (filter.dependsOn !== undefined) {
    parts.push("t.id in (select task_id from task_deps where dep_id = ?)");
    params.push(filter.dependsOn);
  }
  if (filter.scheduleId !== undefined) {
    parts.push("t.schedule_id = ?");
    params.push(filter.scheduleId);
  }
  return { where: parts.length === 0 ? "1" : parts.join(" and "), params };
}

/** Parses a listing cursor (the last row's `seq`). */
export function parseSeqCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (typeof cursor !== "string" || !/^\d{1,15}$/.test(cursor)) {
    throw new ValidationError(
      "cursor",
      `cursor: expected the nextCursor of a previous page, got ${JSON.stringify(cursor)}`,
    );
  }
  return Number(cursor);
}
