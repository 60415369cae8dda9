import { describe, expect, it } from "vitest";
import {
  assertTransition,
  canTransition,
  FINAL_STATUSES,
  IllegalTransitionError,
  TASK_STATUSES,
  type TaskAction,
  type TaskStatus,
  TRANSITIONS,
} from "../src/index.js";

/** The whole table, written out independently of the source. */
const EXPECTED: Record<TaskAction, { from: TaskStatus[]; to: TaskStatus }> = {
  claim: { from: ["pending"], to: "running" },
  complete: { from: ["running"], to: "success" },
  fail: { from: ["running"], to: "failed" },
  retry: { from: ["running"], to: "pending" },
  release: { from: ["running"], to: "pending" },
  recover: { from: ["running"], to: "pending" },
  cancel: { from: ["pending", "running"], to: "cancelled" },
  expire: { from: ["pending"], to: "expired" },
  redrive: { from: ["failed", "cancelled", "expired"], to: "pending" },
};

describe("transition table", () => {
  it("is exactly the documented table", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [action, row] of Object.entries(EXPECTED)) {
      const actual = TRANSITIONS[action as TaskAction];
      expect([...actual.from].sort(), action).toEqual([...row.from].sort());
      expect(actual.to, action).toBe(row.to);
    }
  });

  it("allows every listed transition and refuses every other one", () => {
    for (const action of Object.keys(EXPECTED) as TaskAction[]) {
      for (const status of TASK_STATUSES) {
        const allowed = EXPECTED[action].from.includes(status);
        expect(canTransition(action, status), `${action} from ${status}`).toBe(allowed);
        if (allowed) {
          expect(() => assertTransition(action, status, "t1")).not.toThrow();
        } else {
          let err: unknown;
          try {
            assertTransition(action, status, "t1");
          } catch (e) {
            err = e;
          }
          expect(err, `${action} from ${status}`).toBeInstanceOf(IllegalTransitionError);
          expect(err).toMatchObject({
            from: status,
            to: EXPECTED[action].to,
            code: "illegal_transition",
          });
          expect((err as Error).message).toContain("t1");
        }
      }
    }
  });

  it("never leaves a final status except by redrive", () => {
    for (const action of Object.keys(TRANSITIONS) as TaskAction[]) {
      if (action === "redrive") continue;
      for (const status of FINAL_STATUSES) expect(canTransition(action, status)).toBe(false);
    }
  });
});

describe("schedule validation", () => {
  it("rejects an unknown time zone with a ValidationError naming timezone", async () => {
    const { validateCron, ValidationError } = await import("../src/index.js");
    expect(() => validateCron("0 3 * * *", "Mars/Olympus")).toThrow(ValidationError);
    try {
      validateCron("0 3 * * *", "Mars/Olympus");
    } catch (e) {
      expect((e as InstanceType<typeof ValidationError>).field).toBe("timezone");
    }
    expect(() => validateCron("0 3 * * *", "Europe/Paris")).not.toThrow();
    expect(() => validateCron("not a cron", "UTC")).toThrow(/cron/);
  });
});
