import { afterEach, describe, expect, it } from "vitest";
import { AsyncMemoryQueue, AsyncMemoryResultStorage, AsyncOmniQ } from "../src/index.js";

const open: AsyncOmniQ[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});
function make(queue = new AsyncMemoryQueue()): AsyncOmniQ {
  const omniq = new AsyncOmniQ({ queue, results: new AsyncMemoryResultStorage() });
  open.push(omniq);
  return omniq;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check` holds; rejects after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await sleep(10);
  }
}

// scheduleTickMs is only the upper bound of re-reading the schedules: set far beyond the
// test's length, schedules still fire because the worker wakes at their nextRunAt.
const SLOW_RECHECK = { scheduleTickMs: 600_000, pollIntervalMs: { min: 1, max: 20 } };

describe("schedules fire at nextRunAt, not at the next scheduleTickMs", () => {
  it("an everyMs schedule shorter than scheduleTickMs fires on its own interval", async () => {
    const omniq = make();
    const runs: number[] = [];
    omniq.task("tick", () => {
      runs.push(Date.now());
    });
    await omniq.schedule({ id: "every-150", name: "tick", everyMs: 150 });
    const worker = omniq.worker(SLOW_RECHECK);
    await worker.start();
    await until(() => runs.length >= 3);
    await worker.stop();
    const s = await omniq.getSchedule("every-150");
    expect(s!.runCount).toBeGreaterThanOrEqual(3);
    expect(await omniq.queue.count({ scheduleId: "every-150" })).toBe(s!.runCount);
  });

  it("a schedule added through the facade while the worker runs is picked up at once", async () => {
    const omniq = make();
    let ran = 0;
    omniq.task("once", () => {
      ran++;
    });
    const worker = omniq.worker(SLOW_RECHECK);
    await worker.start();
    await sleep(20);
    await omniq.schedule({ id: "at-soon", name: "once", at: new Date(Date.now() + 100) });
    await until(() => ran === 1);
    await worker.stop();
    expect((await omniq.getSchedule("at-soon"))!.nextRunAt).toBeNull();
  });

  it("a schedule written by someone else (not through this facade) is found at the scheduleTickMs bound", async () => {
    const queue = new AsyncMemoryQueue();
    const omniq = make(queue);
    let ran = 0;
    omniq.task("remote", () => {
      ran++;
    });
    const worker = omniq.worker({ scheduleTickMs: 50, pollIntervalMs: { min: 1, max: 20 } });
    await worker.start();
    await sleep(20);
    // Straight to the queue, as another process would: no in-process notification.
    await queue.addSchedule({ id: "remote", name: "remote", everyMs: 60, maxRuns: 2 });
    await until(() => ran === 2);
    await worker.stop();
    expect((await queue.getSchedule("remote"))!.runCount).toBe(2);
  });

  it("two workers on one queue fire each tick once", async () => {
    const queue = new AsyncMemoryQueue();
    const omniq = make(queue);
    omniq.task("both", () => undefined);
    await omniq.schedule({ id: "shared", name: "both", everyMs: 40, maxRuns: 5 });
    const a = omniq.worker(SLOW_RECHECK);
    const b = omniq.worker(SLOW_RECHECK);
    await Promise.all([a.start(), b.start()]);
    await until(async () => (await queue.getSchedule("shared"))!.nextRunAt === null);
    await Promise.all([a.stop(), b.stop()]);
    expect(await queue.count({ scheduleId: "shared" })).toBe(5);
    expect(a.stats.schedulesFired + b.stats.schedulesFired).toBe(5);
  });

  it("a paused schedule stops firing; resumed, it fires again", async () => {
    const omniq = make();
    let ran = 0;
    omniq.task("p", () => {
      ran++;
    });
    await omniq.schedule({ id: "p", name: "p", everyMs: 50 });
    const worker = omniq.worker(SLOW_RECHECK);
    await worker.start();
    await until(() => ran >= 1);
    await omniq.pauseSchedule("p");
    await sleep(30); // a handler already enqueued may still finish
    const atPause = (await omniq.getSchedule("p"))!.runCount;
    await sleep(200);
    expect((await omniq.getSchedule("p"))!.runCount).toBe(atPause);
    await omniq.resumeSchedule("p");
    await until(async () => (await omniq.getSchedule("p"))!.runCount > atPause);
    await worker.stop();
  });
});
