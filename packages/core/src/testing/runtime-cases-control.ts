import { expect } from "vitest";
import { UnrecoverableError } from "../errors.js";
import type { TaskContext } from "../worker/task-executor.js";
import {
  deferred,
  FAST,
  type RuntimeCaseGroup,
  sleep,
  untilAborted,
  waitFor,
} from "./runtime-kit.js";

/** Dependencies, cancel, lost leases, graceful stop, redrive. */
export const controlCases: RuntimeCaseGroup = {
  name: "control",
  cases: [
    {
      name: "a dependency chain runs in order",
      async run(h) {
        const { omniq } = await h.open();
        const order: string[] = [];
        const step = omniq.task("step", async (label: string) => {
          await sleep(5);
          order.push(label);
          return label;
        });
        const a = await step.enqueue("a");
        const b = await step.with({ dependsOn: [a] }).enqueue("b");
        const c = await step.with({ dependsOn: [b.id] }).enqueue("c");
        await omniq.worker({ ...FAST, concurrency: 5 }).runUntilIdle({ timeoutMs: 2000 });
        expect(order).toEqual(["a", "b", "c"]);
        expect((await c.result({ waitMs: 1000 })).value).toBe("c");
      },
    },
    {
      name: "a failed dependency cancels its dependents, which never run",
      async run(h) {
        const { omniq } = await h.open();
        const ran: string[] = [];
        const step = omniq.task("step", (label: string) => {
          ran.push(label);
          if (label === "a") throw new UnrecoverableError("a broke");
        });
        const a = await step.enqueue("a");
        const b = await step.with({ dependsOn: [a] }).enqueue("b");
        const c = await step.with({ dependsOn: [b] }).enqueue("c");
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(ran).toEqual(["a"]);
        expect(await omniq.get(b.id)).toMatchObject({ status: "cancelled" });
        expect(await omniq.get(c.id)).toMatchObject({ status: "cancelled" });
        const r = await c.result({ waitMs: 0 });
        expect(r).toMatchObject({ status: "failed", error: { kind: "cancelled" } });
      },
    },
    {
      name: "a cancelled pending task never runs",
      async run(h) {
        const { omniq } = await h.open();
        let calls = 0;
        const t = omniq.task("t", () => {
          calls++;
        });
        const handle = await t.enqueue();
        const cancelled = await handle.cancel("not needed");
        expect(cancelled).toMatchObject({ status: "cancelled", cancelReason: "not needed" });
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(calls).toBe(0);
        expect(await omniq.get(handle.id)).toMatchObject({ status: "cancelled" });
      },
    },
    {
      name: "cancelling a running task fires its signal at once in this process; its outcome is not written",
      async run(h) {
        const { omniq, results } = await h.open();
        const started = deferred();
        const reasons: unknown[] = [];
        const t = omniq.task("long", async (ctx?: TaskContext) => {
          started.resolve();
          reasons.push(await untilAborted(ctx!.signal));
          return "finished anyway";
        });
        const worker = omniq.worker(FAST);
        await worker.start();
        const handle = await t.enqueue();
        await started.promise;
        await omniq.cancel(handle.id);
        await waitFor(() => reasons.length === 1, "the signal to fire");
        expect((reasons[0] as Error).name).toBe("LeaseLostError");
        await worker.stop();
        expect(await omniq.get(handle.id)).toMatchObject({ status: "cancelled" });
        expect(await results.get(handle.id)).toBeNull();
        expect(worker.stats.cancelled).toBe(1);
      },
    },
    {
      name: "a task cancelled elsewhere is noticed at the next heartbeat",
      async run(h) {
        const { omniq, queue } = await h.open();
        const started = deferred();
        const reasons: unknown[] = [];
        const t = omniq.task("long", async (ctx?: TaskContext) => {
          started.resolve();
          reasons.push(await untilAborted(ctx!.signal));
        });
        const worker = omniq.worker({ ...FAST, leaseMs: 60 });
        await worker.start();
        const handle = await t.enqueue();
        await started.promise;
        await queue.cancel(handle.id, "from another process"); // no in-process notification
        await waitFor(() => reasons.length === 1, "the heartbeat to notice the cancel");
        await worker.stop();
        expect(await omniq.get(handle.id)).toMatchObject({
          status: "cancelled",
          cancelReason: "from another process",
        });
      },
    },
    {
      name: "a lost lease aborts the handler, and the old owner does not overwrite the new one",
      async run(h) {
        const { omniq, queue, results } = await h.open();
        const started = deferred();
        const reasons: unknown[] = [];
        const t = omniq.task("work", async (ctx?: TaskContext) => {
          started.resolve();
          reasons.push(await untilAborted(ctx!.signal));
          return "old owner";
        });
        const worker = omniq.worker({ ...FAST, leaseMs: 60, concurrency: 1 });
        await worker.start();
        const handle = await t.enqueue();
        await started.promise;
        // The lease is taken away (as if it had run out) and another worker claims the task.
        const later = new Date(Date.now() + 60_000);
        const recovered = await queue.recoverExpiredLeases(later);
        expect(recovered.map((x) => x.id)).toEqual([handle.id]);
        const other = await queue.dequeue({
          workerId: "other-worker",
          leaseMs: 60_000,
          now: later,
        });
        expect(other?.id).toBe(handle.id);
        await waitFor(() => reasons.length === 1, "the old owner's signal to fire");
        expect((reasons[0] as Error).name).toBe("LeaseLostError");
        await worker.stop();
        expect(worker.stats).toMatchObject({ leaseLost: 1, succeeded: 0 });
        expect(await omniq.get(handle.id)).toMatchObject({
          status: "running",
          workerId: "other-worker",
        });
        expect(await results.get(handle.id)).toBeNull();
        await queue.complete(handle.id, "other-worker");
        expect(await omniq.get(handle.id)).toMatchObject({ status: "success" });
      },
    },
    {
      name: "stop() waits for in-flight tasks within the grace period",
      async run(h) {
        const { omniq } = await h.open();
        const started = deferred();
        const t = omniq.task("short", async () => {
          started.resolve();
          await sleep(30);
          return "done";
        });
        const worker = omniq.worker({ ...FAST, gracefulStopMs: 2000 });
        await worker.start();
        const handle = await t.enqueue();
        await started.promise;
        await worker.stop();
        expect(worker.state).toBe("stopped");
        expect(await omniq.get(handle.id)).toMatchObject({ status: "success" });
      },
    },
    {
      name: "after the grace period, stop() aborts and releases in-flight tasks without using an attempt",
      async run(h) {
        const { omniq } = await h.open();
        const started = deferred();
        const reasons: unknown[] = [];
        const attempts: number[] = [];
        const t = omniq.task("stuck", async (ctx?: TaskContext) => {
          attempts.push(ctx!.attempt);
          if (attempts.length > 1) return "second run";
          started.resolve();
          reasons.push(await untilAborted(ctx!.signal));
          return "aborted";
        });
        const worker = omniq.worker({ ...FAST, gracefulStopMs: 20 });
        await worker.start();
        const handle = await t.enqueue();
        await started.promise;
        await worker.stop();
        expect(reasons).toHaveLength(1);
        expect((reasons[0] as Error).name).toBe("ClosedError");
        expect(await omniq.get(handle.id)).toMatchObject({
          status: "pending",
          attempts: 0,
          workerId: null,
        });
        expect(worker.stats.released).toBe(1);
        // The released task runs again, as attempt 1, on the next worker.
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(attempts).toEqual([1, 1]);
        expect(await handle.result({ waitMs: 1000 })).toMatchObject({ value: "second run" });
      },
    },
    {
      name: "retry(id) re-runs a failed task from attempt 1",
      async run(h) {
        const { omniq } = await h.open();
        let calls = 0;
        const once = omniq.task("once", () => {
          calls++;
          if (calls === 1) throw new UnrecoverableError("first time fails");
          return calls;
        });
        const handle = await once.enqueue();
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect((await handle.result({ waitMs: 0 })).status).toBe("failed");
        const redriven = await omniq.retry(handle.id);
        expect(redriven).toMatchObject({ status: "pending", attempts: 0 });
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(await handle.result({ waitMs: 1000 })).toMatchObject({
          status: "success",
          value: 2,
          attempts: 1,
        });
      },
    },
  ],
};
