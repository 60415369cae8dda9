import { IllegalTransitionError } from "../errors.js";
import type { TaskStatus } from "./task.js";

/** The operations that change a task's status. */
export type TaskAction =
  | "claim"
  | "complete"
  | "fail"
  | "retry"
  | "release"
  | "recover"
  | "cancel"
  | "expire"
  | "redrive";

/**
 * The one transition table: for each action, the statuses it may start from and the
 * status it leads to. Backends apply it as a compare-and-set on the status and never
 * change a status any other way.
 */
export const TRANSITIONS = {
  /** A worker takes a due task. */
  claim: { from: ["pending"], to: "running" },
  /** The handler returned. */
  complete: { from: ["running"], to: "success" },
  /** The handler threw and no retry is left (or the error is unrecoverable). */
  fail: { from: ["running"], to: "failed" },
  /** The handler threw and will run again at `runAt`. */
  retry: { from: ["running"], to: "pending" },
  /** The worker gives the task back without using an attempt (graceful stop). */
  release: { from: ["running"], to: "pending" },
  /** The lease ran out: the task goes back to pending for another worker. */
  recover: { from: ["running"], to: "pending" },
  /** The task will never run (pending), or its handler is told to stop (running). */
  cancel: { from: ["pending", "running"], to: "cancelled" },
  /** TTL passed before the task started. */
  expire: { from: ["pending"], to: "expired" },
  /** Re-run a dead task (the dead-letter redrive). */
  redrive: { from: ["failed", "cancelled", "expired"], to: "pending" },
} as const satisfies Record<TaskAction, { from: readonly TaskStatus[]; to: TaskStatus }>;

/** Whether `action` may start from `status`. */
export function canTransition(action: TaskAction, status: TaskStatus): boolean {
  return (TRANSITIONS[action].from as readonly TaskStatus[]).includes(status);
}

/** Throws {@link IllegalTransitionError} unless `action` may start from `status`. */
export function assertTransition(action: TaskAction, status: TaskStatus, taskId: string): void {
  if (!canTransition(action, status)) {
    const to = TRANSITIONS[action].to;
    throw new IllegalTransitionError(
      `queue: cannot ${action} task ${taskId}: it is ${status}, and ${action} needs ${TRANSITIONS[action].from.join(" or ")}`,
      status,
      to,
    );
  }
}
