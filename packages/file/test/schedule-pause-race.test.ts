/**
 * A schedule paused by another process after this one read it as due does not fire: pausing
 * keeps `nextRunAt`, so the tick's compare-and-set must also find the schedule active. The
 * file backend reuses a listing of `schedules/` for a moment, which makes the window easy to
 * hit here; the same guard is in the memory queue and the SQLite backend.
 */
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, MemoryTarget } from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

describe("schedule ticks", () => {
  it("are not claimed from a schedule paused since it was read as due", async () => {
    const memory = new MemoryTarget({ name: uniqueName("sched") });
    const a = new AsyncFileQueue({ target: asAnotherProcess(memory, "a") });
    const b = new AsyncFileQueue({ target: asAnotherProcess(memory, "b") });
    try {
      await a.addSchedule({ id: "once", name: "t", at: new Date(Date.now() - 1000) });
      // a reads it as due (and keeps that listing for a moment)...
      const [seen] = await a.listSchedules();
      expect(seen?.status).toBe("active");
      // ...b pauses it...
      expect((await b.pauseSchedule("once")).status).toBe("paused");
      // ...and a's check, still on its listing, must not fire the paused schedule.
      expect(await a.claimDueSchedules()).toEqual([]);
      expect(await a.count({ queue: "default" })).toBe(0);

      // Resumed, a one-shot schedule whose time has passed has no tick left to fire.
      await b.resumeSchedule("once");
      await new Promise((r) => setTimeout(r, 600)); // past a's listing
      expect(await a.claimDueSchedules()).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
