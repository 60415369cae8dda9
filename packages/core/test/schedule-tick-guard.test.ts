/**
 * `claimDueSchedules` reads the due schedules, then claims each tick by a compare-and-set on
 * `nextRunAt`. Pausing keeps `nextRunAt`, so the compare-and-set must also find the schedule
 * active: a schedule paused between the read and the claim (by another caller) must not fire.
 * The pause is made here from inside `dueSchedules`, right after the read.
 */
import type { Schedule } from "../src/index.js";
import { describe, expect, it } from "vitest";
import { AsyncMemoryQueue } from "../src/index.js";

class PausesAfterRead extends AsyncMemoryQueue {
  protected override async dueSchedules(now: Date, limit: number): Promise<Schedule[]> {
    const due = await super.dueSchedules(now, limit);
    for (const s of due) await this.pauseSchedule(s.id);
    return due;
  }
}

describe("schedule ticks", () => {
  it("are not claimed from a schedule paused after it was read as due", async () => {
    const queue = new PausesAfterRead();
    try {
      await queue.addSchedule({ id: "once", name: "t", at: new Date(Date.now() - 1000) });
      expect(await queue.claimDueSchedules()).toEqual([]);
      expect(await queue.count({})).toBe(0);
      expect((await queue.getSchedule("once"))?.status).toBe("paused");
    } finally {
      await queue.close();
    }
  });
});
