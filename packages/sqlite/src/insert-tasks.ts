import type { PreparedTask, Task } from "@omniq/core";
import type { SqliteHandle } from "./sqlite-handle.js";
import { leanParams, rowToTask, type TaskRow, taskParams } from "./task-row.js";
import {
  IDS_SINCE,
  INSERT_DEP,
  INSERT_LEAN,
  INSERT_ONE,
  insertLeanRows,
  LEAN_ROWS_MAX,
  MAX_SEQ,
  SELECT_TASK,
} from "./task-sql.js";

/** Reads one task (inside `SqliteHandle.run`). */
export function readTask(h: SqliteHandle, id: string): Task | null {
  const row = h.prepare(SELECT_TASK).get(id) as TaskRow | undefined;
  return row ? rowToTask(row) : null;
}

/** Row counts of the multi-row lean inserts used for a run of `n` lean tasks: big chunks, then powers of two. */
function leanChunk(n: number): number {
  if (n >= LEAN_ROWS_MAX) return LEAN_ROWS_MAX;
  let size = 1;
  while (size * 2 <= n) size *= 2;
  return size;
}

/**
 * Inserts tasks and their dependency edges; call inside one write transaction. An id that
 * already exists (or repeats within the batch) is left alone. Returns `null` when every task
 * was new, else, per task, the stored task where it was not new (`null` where it was).
 *
 * Runs of common tasks (see `leanParams`) go in as multi-row `INSERT`s of up to
 * {@link LEAN_ROWS_MAX} rows (one statement per row count, cached), in order, so `seq`
 * follows the batch order as with single-row inserts.
 */
export function insertTasks(
  h: SqliteHandle,
  tasks: readonly PreparedTask[],
): Array<Task | null> | null {
  const before = h.prepare(MAX_SEQ).pluck().get() as number;
  let inserted = 0;
  let hasDeps = false;
  let pending: unknown[] = [];
  let pendingRows = 0;
  const flush = () => {
    let at = 0;
    while (pendingRows > 0) {
      const rows = leanChunk(pendingRows);
      const width = rows * 9;
      const stmt = h.prepare(rows === 1 ? INSERT_LEAN : insertLeanRows(rows));
      const params = at === 0 && width === pending.length ? pending : pending.slice(at, at + width);
      inserted += stmt.run(params).changes;
      at += width;
      pendingRows -= rows;
    }
    pending = [];
  };
  for (const p of tasks) {
    if (p.task.dependsOn.length !== 0) hasDeps = true;
    const params = leanParams(p);
    if (params) {
      for (const v of params) pending.push(v);
      pendingRows++;
    } else {
      flush();
      inserted += h.prepare(INSERT_ONE).run(taskParams(p)).changes;
    }
  }
  flush();
  if (inserted === tasks.length && !hasDeps) return null;

  // Rows with seq > before were inserted now (the write lock is held); the first
  // occurrence of a repeated id is the one that went in.
  let isNew: (index: number) => boolean = () => true;
  if (inserted < tasks.length) {
    const newIds = new Set(h.prepare(IDS_SINCE).pluck().all(before) as string[]);
    const first = new Map<string, number>();
    isNew = (index) => {
      const id = tasks[index]!.task.id;
      const at = first.get(id);
      if (at === undefined) first.set(id, index);
      return newIds.has(id) && (at === undefined || at === index);
    };
  }
  const dep = h.prepare(INSERT_DEP);
  const out: Array<Task | null> = [];
  let conflicts = false;
  for (const [index, p] of tasks.entries()) {
    if (isNew(index)) {
      for (const d of p.task.dependsOn) dep.run(p.task.id, d);
      out.push(null);
    } else {
      conflicts = true;
      out.push(readTask(h, p.task.id));
    }
  }
  return conflicts ? out : null;
}
