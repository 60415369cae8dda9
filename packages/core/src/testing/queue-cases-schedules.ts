import { expect } from "vitest";
import { type CaseGroup, expectError, inMs } from "./conformance-kit.js";
import type { QueueUnderTest as Q } from "./queue-cases-enqueue.js";

const MIN = 60_000;

export const scheduleCases: CaseGroup<Q> = {
  name: "schedules",
  cases: [
    {
      name: "add, get, list, pause, resume and remove",
      async run(q) {
        const start = inMs(10 * MIN);
        const s = await q.addSchedule({
          id: "sch-a",
          name: "report",
          args: [1, "x"],
          queue: "reports",
          everyMs: MIN,
          startAt: start,
        });
        expect(s).toMatchObject({
          id: "sch-a",
          name: "report",
          args: [1, "x"],
          queue: "reports",
          everyMs: MIN,
          cron: null,
          at: null,
          status: "active",
          runCount: 0,
          lastRunAt: null,
          maxRuns: null,
        });
        expect(s.nextRunAt!.getTime()).toBe(start.getTime());
        expect(await q.getSchedule("sch-a")).toEqual(s);
        expect(await q.getSchedule("nope")).toBeNull();
        const c = await q.addSchedule({ id: "sch-c", name: "tick", cron: "*/5 * * * *" });
        expect(c.cron).toBe("*/5 * * * *");
        expect(c.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
        expect(c.nextRunAt!.getTime() % (5 * MIN)).toBe(0);

        expect((await q.listSchedules()).map((x) => x.id).sort()).toEqual(["sch-a", "sch-c"]);
        const paused = await q.pauseSchedule("sch-a");
        expect(paused.status).toBe("paused");
        expect((await q.getSchedule("sch-a"))!.status).toBe("paused");
        expect((await q.listSchedules({ status: "paused" })).map((x) => x.id)).toEqual(["sch-a"]);
        expect((await q.listSchedules({ status: "active" })).map((x) => x.id)).toEqual(["sch-c"]);
        expect(await q.removeSchedule("sch-c")).toBe(true);
        expect(await q.claimDueSchedules(new Date(start.getTime() + 1))).toEqual([]);
        expect(await q.count()).toBe(0);
        const resumed = await q.resumeSchedule("sch-a");
        expect(resumed.status).toBe("active");
        expect(resumed.nextRunAt!.getTime()).toBe(start.getTime());
        const fired = await q.claimDueSchedules(new Date(start.getTime() + 1));
        expect(fired.map((f) => f.schedule.id)).toEqual(["sch-a"]);

        expect(await q.removeSchedule("sch-a")).toBe(true);
        expect(await q.getSchedule("sch-a")).toBeNull();
        expect(await q.removeSchedule("sch-a")).toBe(false);
        await expectError(() => q.pauseSchedule("sch-a"), "NotFoundError");
        await expectError(() => q.resumeSchedule("sch-a"), "NotFoundError");
        await expectError(
          () => q.addSchedule({ name: "n", everyMs: MIN, cron: "* * * * *" }),
          "ValidationError",
        );
        await expectError(() => q.addSchedule({ name: "n", cron: "not cron" }), "ValidationError", {
          field: "cron",
        });
      },
    },
    {
      name: "claimDueSchedules fires each due tick once, enqueues its task and advances nextRunAt",
      async run(q) {
        const t0 = inMs(MIN);
        await q.addSchedule({
          id: "sch-e",
          name: "every",
          args: [{ k: 1 }],
          queue: "cron",
          everyMs: MIN,
          startAt: t0,
          taskOptions: { priority: 7 },
        });
        expect(await q.claimDueSchedules(new Date(t0.getTime() - 1))).toEqual([]);
        const [f1, ...more] = await q.claimDueSchedules(t0);
        expect(more).toEqual([]);
        expect(f1!.tick.getTime()).toBe(t0.getTime());
        expect(f1!.schedule).toMatchObject({ id: "sch-e", runCount: 1 });
        expect(f1!.schedule.lastRunAt!.getTime()).toBe(t0.getTime());
        expect(f1!.schedule.nextRunAt!.getTime()).toBe(t0.getTime() + MIN);
        expect(f1!.task).toMatchObject({
          name: "every",
          args: [{ k: 1 }],
          queue: "cron",
          scheduleId: "sch-e",
          priority: 7,
          status: "pending",
        });
        expect(await q.get(f1!.task.id)).toEqual(f1!.task);
        expect(await q.claimDueSchedules(t0)).toEqual([]);
        expect(await q.claimDueSchedules(new Date(t0.getTime() + MIN - 1))).toEqual([]);
        const f2 = await q.claimDueSchedules(new Date(t0.getTime() + MIN));
        expect(f2).toHaveLength(1);
        expect(f2[0]!.task.id).not.toBe(f1!.task.id);
        expect(await q.count({ scheduleId: "sch-e" })).toBe(2);
        const s = await q.getSchedule("sch-e");
        expect(s).toMatchObject({ runCount: 2 });
        expect(s!.nextRunAt!.getTime()).toBe(t0.getTime() + 2 * MIN);

        // Missed ticks are not replayed: one firing, then the next tick after now.
        const late = new Date(t0.getTime() + 10.5 * MIN);
        expect(await q.claimDueSchedules(late)).toHaveLength(1);
        expect(await q.claimDueSchedules(late)).toEqual([]);
        expect((await q.getSchedule("sch-e"))!.nextRunAt!.getTime()).toBeGreaterThan(
          late.getTime(),
        );
      },
    },
    {
      name: "8 concurrent claimDueSchedules with the same now fire exactly one task per tick",
      async run(q) {
        const t0 = inMs(MIN);
        await q.addSchedule({ id: "sch-r", name: "race", everyMs: MIN, startAt: t0 });
        await q.addSchedule({ id: "sch-r2", name: "race2", everyMs: 2 * MIN, startAt: t0 });
        for (const now of [t0, new Date(t0.getTime() + MIN)]) {
          const calls: Array<ReturnType<Q["claimDueSchedules"]>> = [];
          for (let i = 0; i < 8; i++) calls.push(q.claimDueSchedules(now));
          const results = await Promise.all(calls);
          const fired = results.flat();
          expect(fired.filter((f) => f.schedule.id === "sch-r")).toHaveLength(1);
        }
        expect(await q.count({ scheduleId: "sch-r" })).toBe(2);
        expect(await q.count({ scheduleId: "sch-r2" })).toBe(1);
        expect(await q.count()).toBe(3);
      },
    },
    {
      name: "re-adding an identical schedule keeps nextRunAt and runCount; a changed one is updated",
      async run(q) {
        const def = { id: "sch-d", name: "deploy", everyMs: MIN };
        const s1 = await q.addSchedule(def);
        await q.claimDueSchedules(s1.nextRunAt!);
        const fired = await q.getSchedule("sch-d");
        expect(fired!.runCount).toBe(1);
        const again = await q.addSchedule({ ...def });
        expect(again.nextRunAt!.getTime()).toBe(fired!.nextRunAt!.getTime());
        expect(again.runCount).toBe(1);
        expect(await q.getSchedule("sch-d")).toEqual(fired);
        await q.pauseSchedule("sch-d");
        const changed = await q.addSchedule({ ...def, everyMs: 2 * MIN });
        expect(changed.everyMs).toBe(2 * MIN);
        expect(changed.status).toBe("paused");
        expect(changed.createdAt.getTime()).toBe(s1.createdAt.getTime());
        expect((await q.getSchedule("sch-d"))!.everyMs).toBe(2 * MIN);
        expect(await q.listSchedules()).toHaveLength(1);
      },
    },
    {
      name: "maxRuns stops a schedule after that many firings",
      async run(q) {
        const t0 = inMs(MIN);
        await q.addSchedule({ id: "sch-m", name: "n", everyMs: 1000, startAt: t0, maxRuns: 2 });
        expect(await q.claimDueSchedules(t0)).toHaveLength(1);
        expect(await q.claimDueSchedules(new Date(t0.getTime() + 1000))).toHaveLength(1);
        expect(await q.claimDueSchedules(new Date(t0.getTime() + 2000))).toEqual([]);
        expect(await q.claimDueSchedules(new Date(t0.getTime() + 60 * MIN))).toEqual([]);
        const s = await q.getSchedule("sch-m");
        expect(s).toMatchObject({ runCount: 2, nextRunAt: null });
        expect(await q.count({ scheduleId: "sch-m" })).toBe(2);
      },
    },
    {
      name: "a one-shot `at` schedule fires once",
      async run(q) {
        const at = inMs(5 * MIN);
        const s = await q.addSchedule({ id: "sch-o", name: "once", at });
        expect(s.nextRunAt!.getTime()).toBe(at.getTime());
        expect(await q.claimDueSchedules(new Date(at.getTime() - 1))).toEqual([]);
        const fired = await q.claimDueSchedules(at);
        expect(fired).toHaveLength(1);
        expect(fired[0]!.task).toMatchObject({ name: "once", scheduleId: "sch-o" });
        expect(await q.claimDueSchedules(new Date(at.getTime() + 60 * MIN))).toEqual([]);
        expect(await q.getSchedule("sch-o")).toMatchObject({ runCount: 1, nextRunAt: null });
        expect(await q.count()).toBe(1);
      },
    },
  ],
};
