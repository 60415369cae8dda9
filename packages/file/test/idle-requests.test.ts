/**
 * What an idle worker lists, per second, on an object store: the maintenance sweep asks for
 * the queues twice (expired leases, TTLs) and the schedule check reads the schedules twice
 * (the due ones, then all). One listing of the queue markers now serves 10 s, and one of the
 * schedules 500 ms, while this process's own changes are seen at once.
 */
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, CountingTarget, MemoryTarget } from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

class ListsByPrefix extends CountingTarget {
  byPrefix: Record<string, number> = {};
  override list(options: Parameters<CountingTarget["list"]>[0]) {
    this.byPrefix[options.prefix] = (this.byPrefix[options.prefix] ?? 0) + 1;
    return super.list(options);
  }
}

describe("listings an idle worker repeats", () => {
  it("the queue markers are listed once for many sweeps; a queue claimed from is swept at once", async () => {
    const memory = new MemoryTarget({ name: uniqueName("idle") });
    const target = new ListsByPrefix(memory);
    const queue = new AsyncFileQueue({ target });
    // Another process (another id: nothing shared) makes queue "other" and leaves a lease
    // there that has run out.
    const other = new AsyncFileQueue({
      target: asAnotherProcess(new CountingTarget(memory), "other"),
    });
    try {
      for (let i = 0; i < 5; i++) expect(await queue.recoverExpiredLeases()).toEqual([]);
      expect(target.byPrefix["meta/queues/"]).toBe(1);

      await other.enqueue({ name: "t", queue: "other" });
      await other.dequeue({ workerId: "dead", queues: ["other"], leaseMs: 1 });
      await new Promise((r) => setTimeout(r, 5));
      // Not seen through the markers yet (listed less than 10 s ago)...
      expect(await queue.recoverExpiredLeases()).toEqual([]);
      // ...but a queue this process claims from is swept from then on.
      expect(await queue.dequeue({ workerId: "w", queues: ["other"] })).toBeNull();
      const recovered = await queue.recoverExpiredLeases();
      expect(recovered.map((t) => t.queue)).toEqual(["other"]);
      expect(target.byPrefix["meta/queues/"]).toBe(1);
    } finally {
      await queue.close();
      await other.close();
    }
  });

  it("the schedules are listed once per check, and again after a change made here", async () => {
    const target = new ListsByPrefix(new MemoryTarget({ name: uniqueName("idle") }));
    const queue = new AsyncFileQueue({ target });
    try {
      await queue.addSchedule({ id: "every-minute", name: "t", everyMs: 60_000 });
      target.byPrefix = {};
      // What a worker's schedule check does: the due ones, then all of them.
      expect(await queue.claimDueSchedules()).toEqual([]);
      expect(await queue.listSchedules()).toHaveLength(1);
      expect(target.byPrefix["schedules/"]).toBe(1);
      // A change made here is seen by the next read at once.
      await queue.pauseSchedule("every-minute");
      const [s] = await queue.listSchedules();
      expect(s?.status).toBe("paused");
      expect(target.byPrefix["schedules/"]).toBe(2);
      await queue.addSchedule({ id: "second", name: "t", everyMs: 60_000 });
      expect(await queue.listSchedules()).toHaveLength(2);
    } finally {
      await queue.close();
    }
  });
});
