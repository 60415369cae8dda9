import type { PreparedTask, Task } from "@omniq/core";
import type { SqliteHandle } from "./sqlite-handle.js";
import { leanParams, rowToTask, type TaskRow, taskParams } from "./task-row.js";
import {
  IDS_SINCE,
  INSERT_DEP,
  INSERT_LEAN,
  INSERT_ONE,
  MAX_SEQ,
  SELECT_TASK,
} from "./task-sql.js";

/** Reads one task (inside `SqliteHandle.run`). */
export function readTask(h: SqliteHandle, id: string): Task | null {
  const row = h.prepare(SELECT_TASK).get(id) as TaskRow | undefined;
  return row ? rowToTask(row) : null;
}

/**
 * Inserts tasks and their dependency edges; call inside one write transaction. An id that
 * already exists (or repeats within the batch) is left alone. Returns `null` when every task
 * was new, else, per task, the stored task where it was not new (`null` where it was).
 */
export function insertTasks(
  h: SqliteHandle,
  tasks: readonly PreparedTask[],
): Array<Task | null> | null {
  const before = h.prepare(MAX_SEQ).pluck().get() as number;
  const full = h.prepare(INSERT_ONE);
  const lean = h.prepare(INSERT_LEAN);
  let inserted = 0;
  for (const p of tasks) {
    const params = leanParams(p);
    inserted += params ? lean.run(params).changes : full.run(taskParams(p)).changes;
  }

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
