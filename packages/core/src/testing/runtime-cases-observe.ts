import { expect } from "vitest";
import type { TaskEventType } from "../models/event.js";
import type { TaskContext } from "../worker/task-executor.js";
import { deferred, FAST, type RuntimeCaseGroup, sleep, waitFor } from "./runtime-kit.js";

/** Events, progress, waiting for results, schedules. */
export const observeCases: RuntimeCaseGroup = {
  name: "observing",
  cases: [
    {
      name: "records every transition as an event, in order",
      async run(h) {
        const { omniq } = await h.open();
        let calls = 0;
        const t = omniq.task(
          "t",
          () => {
            calls++;
            if (calls === 1) throw new Error("first attempt fails");
            return "ok";
          },
          { retry: { backoff: "fixed", delayMs: 1, jitter: 0 } },
        );
        const worker = omniq.worker(FAST);
        await worker.start();
        const handle = await t.enqueue();
        await handle.result({ waitMs: 2000 });
        await worker.stop();
        const events = await omniq.events(handle.id);
        expect(events.map((e) => e.type)).toEqual([
          "enqueued",
          "claimed",
          "started",
          "retry_scheduled",
          "claimed",
          "started",
          "succeeded",
        ] satisfies TaskEventType[]);
        expect(events.every((e) => e.taskId === handle.id && e.queue === "default")).toBe(true);
        expect(events[1]).toMatchObject({ workerId: worker.id, attempt: 1 });
        expect(events[6]).toMatchObject({ workerId: worker.id, attempt: 2 });
        expect(events[3]!.data).toMatchObject({ error: { message: "first attempt fails" } });
        const cancelledOne = await t.enqueue();
        await omniq.cancel(cancelledOne.id);
        expect((await omniq.events(cancelledOne.id)).map((e) => e.type)).toEqual([
          "enqueued",
          "cancelled",
        ]);
        const page = await omniq.queryEvents({ types: ["succeeded"] });
        expect(page.items.map((e) => e.taskId)).toEqual([handle.id]);
      },
    },
    {
      name: "writes no events when event storage is not configured",
      async run(h) {
        const { omniq, events } = await h.open({ events: false });
        const t = omniq.task("t", (fail: boolean) => {
          if (fail) throw new Error("no");
        });
        await t.enqueue(false);
        await t.with({ maxRetries: 0 }).enqueue(true);
        const c = await t.enqueue(false);
        await omniq.cancel(c.id);
        await omniq.schedule({ id: "s", name: "t", args: [false], everyMs: 10 });
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        await sleep(30);
        expect((await events.query({ limit: 100 })).items).toEqual([]);
        await expect(omniq.events(c.id)).rejects.toMatchObject({ name: "ConfigError" });
      },
    },
    {
      name: "progress is stored on the task and recorded as an event",
      async run(h) {
        const { omniq } = await h.open();
        const reported = deferred();
        const gate = deferred();
        const t = omniq.task("p", async (ctx?: TaskContext) => {
          await ctx!.progress({ pct: 50, step: "half" });
          reported.resolve();
          await gate.promise;
          await ctx!.heartbeat();
          return "done";
        });
        const worker = omniq.worker(FAST);
        await worker.start();
        const handle = await t.enqueue();
        await reported.promise;
        expect((await omniq.get(handle.id))!.progress).toEqual({ pct: 50, step: "half" });
        gate.resolve();
        await handle.result({ waitMs: 1000 });
        await worker.stop();
        const progress = (await omniq.events(handle.id)).filter((e) => e.type === "progress");
        expect(progress).toHaveLength(1);
        expect(progress[0]!.data).toEqual({ progress: { pct: 50, step: "half" } });
      },
    },
    {
      name: "result() waits, times out with TimeoutError, and rejects unknown ids",
      async run(h) {
        const { omniq } = await h.open();
        const t = omniq.task("t", (x: number) => x * 2);
        const handle = await t.enqueue(21);
        await expect(handle.result({ waitMs: 30 })).rejects.toMatchObject({
          name: "TimeoutError",
          code: "timeout",
        });
        const waiting = handle.result({ waitMs: 2000 });
        const worker = omniq.worker(FAST);
        await worker.start();
        expect(await waiting).toMatchObject({ status: "success", value: 42 });
        await worker.stop();
        await expect(omniq.result("no-such-task", { waitMs: 0 })).rejects.toMatchObject({
          name: "NotFoundError",
        });
      },
    },
    {
      name: "result() finds a result finished elsewhere by polling",
      async run(h) {
        const { omniq, queue, results } = await h.open();
        const task = await omniq.enqueue("remote", [1]);
        const waiting = omniq.result(task.id, { waitMs: 2000 });
        // Another process's worker: claims, stores the result, completes; no in-process wake-up.
        const claimed = await queue.dequeue({ workerId: "remote-worker" });
        expect(claimed?.id).toBe(task.id);
        await queue.complete(task.id, "remote-worker");
        await results.set({
          taskId: task.id,
          status: "success",
          value: "from afar",
          attempts: 1,
          startedAt: claimed!.startedAt,
          finishedAt: new Date(),
          durationMs: 1,
          workerId: "remote-worker",
          expiresAt: null,
        });
        expect(await waiting).toMatchObject({ status: "success", value: "from afar" });
      },
    },
    {
      name: "schedules fire on the worker's tick, and pause/resume stop and restart them",
      async run(h) {
        const { omniq } = await h.open();
        let runs = 0;
        omniq.task("tick", () => {
          runs++;
        });
        await omniq.schedule({ id: "every-30ms", name: "tick", everyMs: 30 });
        const worker = omniq.worker(FAST);
        await worker.start();
        await waitFor(() => runs >= 2, "two scheduled runs");
        await omniq.pauseSchedule("every-30ms");
        await sleep(40);
        const atPause = runs;
        await sleep(120);
        expect(runs).toBe(atPause);
        await omniq.resumeSchedule("every-30ms");
        await waitFor(() => runs > atPause, "a run after resume");
        await worker.stop();
        expect(worker.stats.schedulesFired).toBeGreaterThanOrEqual(3);
        const fired = await omniq.queryEvents({ types: ["schedule_fired"], limit: 100 });
        expect(fired.items.length).toBe(worker.stats.schedulesFired);
        expect(fired.items[0]).toMatchObject({ taskId: "every-30ms" });
        const paused = await omniq.events("every-30ms");
        expect(paused.map((e) => e.type)).toContain("schedule_paused");
        expect(paused.map((e) => e.type)).toContain("schedule_resumed");
      },
    },
  ],
};
