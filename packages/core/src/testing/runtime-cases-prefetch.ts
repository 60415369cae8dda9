import { expect } from "vitest";
import type { AsyncOmniQ } from "../omniq/async-omniq.js";
import type { TaskContext } from "../worker/task-executor.js";
import type { Worker } from "../worker/worker.js";
import {
  deferred,
  FAST,
  type RuntimeCaseGroup,
  sleep,
  untilAborted,
  waitFor,
} from "./runtime-kit.js";

/** What the `gated` handler does: wait for the gate (or the abort signal), sleep, or return. */
interface Behaviour {
  mode: "gate" | "sleep" | "instant";
  sleepMs: number;
}

/**
 * Enqueues `warm` no-op tasks, then `gated` tasks (args: their index) whose handler records its
 * start and then does what `behaviour` says (at first: waits for `gate`), and starts a worker
 * that has learnt from the warm-up that handlers are fast, so it claims the gated ones ahead
 * of its free slots.
 */
async function primed(
  omniq: AsyncOmniQ,
  options: { concurrency: number; gated: number; leaseMs?: number },
): Promise<{
  worker: Worker;
  ids: string[];
  started: number[];
  gate: ReturnType<typeof deferred<void>>;
  behaviour: Behaviour;
}> {
  const gate = deferred();
  const started: number[] = [];
  const behaviour: Behaviour = { mode: "gate", sleepMs: 0 };
  const warm = omniq.task("warm", () => {});
  const gated = omniq.task("gated", async (i: number, ctx: TaskContext) => {
    started.push(i);
    if (behaviour.mode === "sleep") await sleep(behaviour.sleepMs);
    else if (behaviour.mode === "gate") {
      await Promise.race([gate.promise, untilAborted(ctx.signal)]);
    }
  });
  await warm.enqueueMany(Array.from({ length: 30 }, () => [] as []));
  const worker = omniq.worker({
    ...FAST,
    concurrency: options.concurrency,
    leaseMs: options.leaseMs ?? FAST.leaseMs,
  });
  await worker.start();
  await waitFor(() => worker.stats.succeeded >= 30, "the warm-up tasks");
  const handles = await gated.enqueueMany(
    Array.from({ length: options.gated }, (_, i) => [i] as [number]),
  );
  const ids = handles.map((h) => h.id);
  await waitFor(
    () => worker.stats.claimed >= 30 + options.gated && worker.stats.prefetched > 0,
    "the gated tasks to be claimed ahead",
  );
  return { worker, ids, started, gate, behaviour };
}

/** Claiming ahead of free slots (prefetch): what is held, renewed, given back and cancelled. */
export const prefetchCases: RuntimeCaseGroup = {
  name: "claiming ahead (prefetch)",
  cases: [
    {
      name: "claims ahead of its free slots when handlers are fast, and runs each task once",
      async run(h) {
        const { omniq } = await h.open({ events: false });
        const runs = new Map<number, number>();
        let worker: Worker | undefined;
        let peakAhead = 0;
        const t = omniq.task("fast", (i: number) => {
          runs.set(i, (runs.get(i) ?? 0) + 1);
          peakAhead = Math.max(peakAhead, worker?.stats.prefetched ?? 0);
        });
        await t.enqueueMany(Array.from({ length: 300 }, (_, i) => [i] as [number]));
        worker = omniq.worker({ ...FAST, concurrency: 2 });
        const stats = await worker.runUntilIdle({ timeoutMs: 5000 });
        expect(stats.succeeded).toBe(300);
        expect(stats.claimed).toBe(300);
        expect(peakAhead).toBeGreaterThan(0);
        expect([...runs.values()].every((n) => n === 1)).toBe(true);
        expect(runs.size).toBe(300);
        expect(await omniq.queue.count({ statuses: ["success"] })).toBe(300);
      },
    },
    {
      name: "does not claim ahead while handlers are slow (other workers get the tasks)",
      async run(h) {
        const { omniq } = await h.open({ events: false });
        let worker: Worker | undefined;
        let peakAhead = 0;
        const t = omniq.task("slow", async () => {
          peakAhead = Math.max(peakAhead, worker?.stats.prefetched ?? 0);
          await sleep(120);
        });
        await t.enqueueMany(Array.from({ length: 6 }, () => [] as []));
        worker = omniq.worker({ ...FAST, concurrency: 2 });
        const stats = await worker.runUntilIdle({ timeoutMs: 5000 });
        expect(stats.succeeded).toBe(6);
        expect(peakAhead).toBe(0);
        expect(stats.claimed).toBe(6);
      },
    },
    {
      name: "prefetch: 0 turns claiming ahead off",
      async run(h) {
        const { omniq } = await h.open({ events: false });
        let worker: Worker | undefined;
        let peakAhead = 0;
        let claimedAhead = 0;
        let started = 0;
        const t = omniq.task("fast", () => {
          started++;
          peakAhead = Math.max(peakAhead, worker?.stats.prefetched ?? 0);
          // Claimed but not started yet: at most the other free slot's task.
          claimedAhead = Math.max(claimedAhead, (worker?.stats.claimed ?? 0) - started);
        });
        await t.enqueueMany(Array.from({ length: 60 }, () => [] as []));
        worker = omniq.worker({ ...FAST, concurrency: 2, prefetch: 0 });
        const stats = await worker.runUntilIdle({ timeoutMs: 5000 });
        expect(stats.succeeded).toBe(60);
        expect(peakAhead).toBe(0);
        expect(claimedAhead).toBeLessThanOrEqual(1);
      },
    },
    {
      name: "on stop, tasks claimed ahead go back without using an attempt and keep their place",
      async run(h) {
        const { omniq } = await h.open({ events: false });
        const { worker, ids, started, behaviour } = await primed(omniq, {
          concurrency: 2,
          gated: 20,
        });
        expect(started.length).toBeLessThanOrEqual(2);
        await worker.stop({ gracefulStopMs: 0 });
        expect(worker.stats.released).toBe(20);
        for (const id of ids) {
          expect(await omniq.get(id)).toMatchObject({ status: "pending", attempts: 0 });
        }
        // A new worker runs them in their original order.
        started.length = 0;
        behaviour.mode = "instant";
        await omniq.worker({ ...FAST, concurrency: 1 }).runUntilIdle({ timeoutMs: 5000 });
        expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
      },
    },
    {
      name: "a task cancelled while claimed ahead never runs",
      async run(h) {
        const { omniq } = await h.open();
        const { worker, ids, started, gate } = await primed(omniq, { concurrency: 1, gated: 5 });
        const last = ids.at(-1)!;
        expect(await omniq.get(last)).toMatchObject({ status: "running" });
        expect(started).not.toContain(4);
        await omniq.cancel(last, "not needed");
        gate.resolve();
        await worker.runUntilIdle({ timeoutMs: 5000 });
        await worker.stop();
        expect(started).toEqual([0, 1, 2, 3]);
        expect(await omniq.get(last)).toMatchObject({ status: "cancelled" });
        for (const id of ids.slice(0, 4)) {
          expect(await omniq.get(id)).toMatchObject({ status: "success", attempts: 1 });
        }
      },
    },
    {
      name: "leases of tasks claimed ahead are renewed while they wait for a slot",
      async run(h) {
        const { omniq } = await h.open({ events: false });
        // Lease 300 ms; the five held tasks wait up to ~5 × 150 ms for the one slot, while
        // this worker sweeps lost leases every 10 ms: without renewal they would be taken back.
        const { worker, ids, started, gate, behaviour } = await primed(omniq, {
          concurrency: 1,
          gated: 5,
          leaseMs: 300,
        });
        behaviour.mode = "sleep";
        behaviour.sleepMs = 150;
        gate.resolve();
        await worker.runUntilIdle({ timeoutMs: 10_000 });
        await worker.stop();
        expect(worker.stats.recovered).toBe(0);
        expect(worker.stats.leaseLost).toBe(0);
        expect(started.toSorted((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
        for (const id of ids) {
          expect(await omniq.get(id)).toMatchObject({ status: "success", attempts: 1 });
        }
      },
    },
  ],
};
