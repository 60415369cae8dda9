import type { TaskQueue } from "../contracts/queue-types.js";
import type { Logger } from "../logger.js";
import type { Task } from "../models/task.js";
import type { EventRecorder } from "./event-recorder.js";
import type { WakeHub } from "./wake-hub.js";

const DEAD = new Set(["failed", "cancelled", "expired"]);

/**
 * The queue cancels the pending dependents of a task that failed, was cancelled or expired
 * (recursively); this records a `cancelled` event for each of them and wakes their
 * in-process `result()` waiters. Does nothing when event storage is not configured.
 */
export async function recordCascade(
  queue: TaskQueue,
  recorder: EventRecorder,
  hub: WakeHub,
  logger: Logger,
  root: Task,
): Promise<void> {
  if (!recorder.enabled || !DEAD.has(root.status)) return;
  const todo: Task[] = [root];
  try {
    for (let t = todo.shift(); t; t = todo.shift()) {
      const reason = `dependency ${t.id} ${t.status}`;
      let cursor: string | undefined;
      do {
        const page = await queue.list({
          dependsOn: t.id,
          statuses: ["cancelled"],
          limit: 500,
          cursor,
        });
        for (const dep of page.items) {
          if (dep.cancelReason !== reason) continue;
          recorder.record({
            taskId: dep.id,
            type: "cancelled",
            queue: dep.queue,
            data: { reason },
          });
          hub.finished(dep.id);
          todo.push(dep);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
  } catch (err) {
    logger.warn({ err, taskId: root.id }, "omniq: could not record cancelled dependents");
  }
}
