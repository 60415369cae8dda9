import { BackendError, decode, type PreparedResult, type TaskResult } from "@omniq/core";

/** A row of the `results` table; `data` is the whole record, encoded by the core codec. */
export interface ResultRow {
  seq: number;
  task_id: string;
  queue: string | null;
  name: string | null;
  status: string;
  finished_at: number;
  expires_at: number | null;
  data: string;
}

/** Params: task_id, queue, name, status, finished_at, expires_at, data. Replaces an older result. */
export const UPSERT_RESULT = `insert into results (task_id, queue, name, status, finished_at, expires_at, data)
  values (?, ?, ?, ?, ?, ?, ?)
  on conflict (task_id) do update set queue = excluded.queue, name = excluded.name,
    status = excluded.status, finished_at = excluded.finished_at,
    expires_at = excluded.expires_at, data = excluded.data`;

export function resultParams(p: PreparedResult, queue?: string, name?: string): unknown[] {
  const r = p.result;
  return [
    r.taskId,
    r.queue ?? queue ?? null,
    r.name ?? name ?? null,
    r.status,
    r.finishedAt.getTime(),
    r.expiresAt instanceof Date ? r.expiresAt.getTime() : null,
    p.json,
  ];
}

export function rowToResult(row: ResultRow): TaskResult {
  let result: TaskResult;
  try {
    result = decode<TaskResult>(row.data);
  } catch (err) {
    throw new BackendError(
      `sqlite: result of task ${row.task_id} has corrupt data JSON (${(err as Error).message}); delete it`,
      { cause: err },
    );
  }
  if (result.queue === undefined && row.queue !== null) result.queue = row.queue;
  if (result.name === undefined && row.name !== null) result.name = row.name;
  return result;
}
