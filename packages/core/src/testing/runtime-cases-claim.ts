import { expect } from "vitest";
import { FAST, type RuntimeCaseGroup, sleep } from "./runtime-kit.js";

/** Concurrency, queue order, wake-up. */
export const claimCases: RuntimeCaseGroup = {
  name: "claiming",
  cases: [
    {
      name: "never runs more handlers at once than its concurrency",
      async run(h) {
        const { omniq } = await h.open();
        let running = 0;
        let peak = 0;
        const t = omniq.task("busy", async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(15);
          running--;
        });
        await t.enqueueMany(Array.from({ length: 9 }, () => [] as []));
        const stats = await omniq
          .worker({ ...FAST, concurrency: 3 })
          .runUntilIdle({ timeoutMs: 2000 });
        expect(stats.succeeded).toBe(9);
        expect(peak).toBe(3);
      },
    },
    {
      name: "claims from several queues in the order given",
      async run(h) {
        const { omniq } = await h.open();
        const order: string[] = [];
        const t = omniq.task("t", (label: string) => {
          order.push(label);
        });
        for (const i of [1, 2, 3]) await t.with({ queue: "low" }).enqueue(`low${i}`);
        for (const i of [1, 2, 3]) await t.with({ queue: "high" }).enqueue(`high${i}`);
        await omniq
          .worker({ ...FAST, queues: ["high", "low"], concurrency: 1 })
          .runUntilIdle({ timeoutMs: 2000 });
        expect(order).toEqual(["high1", "high2", "high3", "low1", "low2", "low3"]);
      },
    },
    {
      name: "ignores queues it was not given",
      async run(h) {
        const { omniq } = await h.open();
        const t = omniq.task("t", () => "x");
        const other = await t.with({ queue: "elsewhere" }).enqueue();
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(await omniq.get(other.id)).toMatchObject({ status: "pending" });
      },
    },
    {
      name: "an enqueue in this process wakes an idle worker at once",
      async run(h) {
        const { omniq } = await h.open();
        const t = omniq.task("t", () => "woken");
        // A slow poll: without the in-process wake-up the task would wait ~2 s.
        const worker = omniq.worker({ ...FAST, pollIntervalMs: { min: 2000, max: 5000 } });
        await worker.start();
        await sleep(20);
        const handle = await t.enqueue();
        const r = await handle.result({ waitMs: 1000 });
        await worker.stop();
        expect(r.value).toBe("woken");
      },
    },
    {
      name: "a delayed task runs once due, not before",
      async run(h) {
        const { omniq } = await h.open();
        let ranAt = 0;
        const t = omniq.task("t", () => {
          ranAt = Date.now();
        });
        const worker = omniq.worker({ ...FAST, pollIntervalMs: { min: 2000, max: 5000 } });
        await worker.start();
        const before = Date.now();
        const handle = await t.with({ delayMs: 60 }).enqueue();
        await handle.result({ waitMs: 1500 });
        await worker.stop();
        expect(ranAt - before).toBeGreaterThanOrEqual(58);
      },
    },
  ],
};
