import { expect } from "vitest";
import { UnrecoverableError } from "../errors.js";
import type { TaskContext } from "../worker/task-executor.js";
import { FAST, type RuntimeCaseGroup, sleep } from "./runtime-kit.js";

/** Running handlers: results, retries, unrecoverable errors, timeouts, TTL. */
export const runCases: RuntimeCaseGroup = {
  name: "running tasks",
  cases: [
    {
      name: "runs the handler with its args and a context, and stores the result with its TTL",
      async run(h) {
        const { omniq, results } = await h.open();
        const seen: Array<{ args: unknown[]; attempt: number; taskId: string; aborted: boolean }> =
          [];
        const add = omniq.task(
          "add",
          (a: number, b: number, ctx?: TaskContext) => {
            seen.push({
              args: [a, b],
              attempt: ctx!.attempt,
              taskId: ctx!.task.id,
              aborted: ctx!.signal.aborted,
            });
            return { sum: a + b };
          },
          { resultTtlMs: 60_000 },
        );
        const handle = await add.enqueue(2, 3);
        const stats = await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(stats.succeeded).toBe(1);
        expect(seen).toEqual([{ args: [2, 3], attempt: 1, taskId: handle.id, aborted: false }]);
        const r = await handle.result({ waitMs: 1000 });
        expect(r).toMatchObject({ taskId: handle.id, status: "success", value: { sum: 5 } });
        const stored = await results.get(handle.id);
        expect(stored).toMatchObject({ status: "success", value: { sum: 5 }, attempts: 1 });
        expect(stored!.expiresAt).toBeInstanceOf(Date);
        const ttl = stored!.expiresAt!.getTime() - stored!.finishedAt.getTime();
        expect(ttl).toBe(60_000);
        const task = await omniq.get(handle.id);
        expect(task).toMatchObject({ status: "success", attempts: 1, leaseUntil: null });
      },
    },
    {
      name: "storeResult: false stores nothing; result() still reports success",
      async run(h) {
        const { omniq, results } = await h.open();
        const t = omniq.task("quiet", () => 42, { storeResult: false });
        const handle = await t.enqueue();
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(await results.get(handle.id)).toBeNull();
        const r = await omniq.result(handle.id, { waitMs: 1000 });
        expect(r.status).toBe("success");
        expect(r.value).toBeUndefined();
      },
    },
    {
      name: "retries with backoff, then succeeds",
      async run(h) {
        const { omniq } = await h.open();
        const times: number[] = [];
        const flaky = omniq.task(
          "flaky",
          (ctx?: TaskContext) => {
            times.push(Date.now());
            if (ctx!.attempt < 3) throw new Error(`attempt ${ctx!.attempt} failed`);
            return "ok";
          },
          { maxRetries: 3, retry: { backoff: "exponential", delayMs: 20, jitter: 0 } },
        );
        const worker = omniq.worker(FAST);
        await worker.start();
        const handle = await flaky.enqueue();
        const r = await handle.result({ waitMs: 3000 });
        await worker.stop();
        expect(r).toMatchObject({ status: "success", value: "ok", attempts: 3 });
        expect(times).toHaveLength(3);
        // exponential: ~20 ms, then ~40 ms (timers may fire a ms early)
        expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(18);
        expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(38);
        expect(worker.stats).toMatchObject({ retried: 2, succeeded: 1, failed: 0 });
        const task = await omniq.get(handle.id);
        expect(task!.lastError).toMatchObject({ message: "attempt 2 failed", retryable: true });
      },
    },
    {
      name: "fails for good once retries are used up, with the last error",
      async run(h) {
        const { omniq, results } = await h.open();
        let calls = 0;
        const boom = omniq.task(
          "boom",
          () => {
            calls++;
            throw new TypeError(`boom ${calls}`);
          },
          { maxRetries: 1, retry: { backoff: "fixed", delayMs: 1, jitter: 0 } },
        );
        const worker = omniq.worker(FAST);
        await worker.start();
        const handle = await boom.enqueue();
        const r = await handle.result({ waitMs: 2000 });
        await worker.stop();
        expect(calls).toBe(2);
        expect(r).toMatchObject({ status: "failed", attempts: 2 });
        expect(r.error).toMatchObject({ name: "TypeError", message: "boom 2", retryable: false });
        expect(await results.get(handle.id)).toMatchObject({ status: "failed" });
        expect(await omniq.get(handle.id)).toMatchObject({ status: "failed", attempts: 2 });
      },
    },
    {
      name: "UnrecoverableError fails at once, whatever maxRetries says",
      async run(h) {
        const { omniq } = await h.open();
        let calls = 0;
        const charge = omniq.task(
          "charge",
          () => {
            calls++;
            throw new UnrecoverableError("card rejected");
          },
          { maxRetries: 5, retry: { delayMs: 1 } },
        );
        const handle = await charge.enqueue();
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(calls).toBe(1);
        const r = await handle.result({ waitMs: 1000 });
        expect(r).toMatchObject({ status: "failed", attempts: 1 });
        expect(r.error).toMatchObject({
          name: "UnrecoverableError",
          message: "card rejected",
          kind: "unrecoverable",
          retryable: false,
        });
      },
    },
    {
      name: "timeoutMs fires the signal, retries, then fails as timed out (even if the handler ignores it)",
      async run(h) {
        const { omniq } = await h.open();
        const reasons: unknown[] = [];
        const slow = omniq.task(
          "slow",
          (ctx?: TaskContext) =>
            new Promise(() => {
              ctx!.signal.addEventListener("abort", () => reasons.push(ctx!.signal.reason));
            }),
          { timeoutMs: 40, maxRetries: 1, retry: { backoff: "fixed", delayMs: 1, jitter: 0 } },
        );
        const worker = omniq.worker(FAST);
        await worker.start();
        const handle = await slow.enqueue();
        const r = await handle.result({ waitMs: 2000 });
        await worker.stop();
        expect(r).toMatchObject({ status: "failed", attempts: 2 });
        expect(r.error).toMatchObject({ name: "TimeoutError", kind: "timeout", retryable: false });
        expect(reasons).toHaveLength(2);
        expect((reasons[0] as Error).name).toBe("TimeoutError");
        expect(worker.stats).toMatchObject({ timedOut: 2, retried: 1, failed: 1 });
        const task = await omniq.get(handle.id);
        expect(task!.lastError).toMatchObject({ kind: "timeout" });
      },
    },
    {
      name: "a task whose TTL passed before it started never runs and reads as expired",
      async run(h) {
        const { omniq } = await h.open();
        let calls = 0;
        const t = omniq.task("late", () => {
          calls++;
        });
        const handle = await t.with({ ttlMs: 20 }).enqueue();
        await sleep(40);
        const worker = omniq.worker(FAST);
        await worker.runUntilIdle({ timeoutMs: 2000 });
        expect(calls).toBe(0);
        expect(await omniq.get(handle.id)).toMatchObject({ status: "expired" });
        const r = await handle.result({ waitMs: 0 });
        expect(r).toMatchObject({ status: "failed", error: { kind: "expired" } });
        expect(worker.stats.expired).toBe(1);
      },
    },
    {
      name: "a task with no handler in this worker fails with kind unknown_task",
      async run(h) {
        const { omniq } = await h.open();
        const task = await omniq.enqueue("nobody.handles.this", [1], { maxRetries: 0 });
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        const r = await omniq.result(task.id, { waitMs: 1000 });
        expect(r).toMatchObject({ status: "failed", error: { kind: "unknown_task" } });
      },
    },
    {
      name: "enqueue with an id is idempotent; enqueueMany enqueues a batch",
      async run(h) {
        const { omniq } = await h.open();
        let calls = 0;
        const add = omniq.task("add", (a: number, b: number) => {
          calls++;
          return a + b;
        });
        const a = await add.with({ id: "sum-1-2" }).enqueue(1, 2);
        const b = await add.with({ id: "sum-1-2" }).enqueue(1, 2);
        expect(b.id).toBe(a.id);
        const many = await omniq.enqueueMany([add.request(3, 4), { name: "add", args: [5, 6] }]);
        expect(many).toHaveLength(2);
        const more = await add.enqueueMany([
          [7, 8],
          [9, 10],
        ]);
        await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
        expect(calls).toBe(5);
        const values = await Promise.all(
          [a.id, ...many.map((t) => t.id), ...more.map((m) => m.id)].map(
            async (id) => (await omniq.result<number>(id, { waitMs: 1000 })).value,
          ),
        );
        expect(values).toEqual([3, 7, 11, 15, 19]);
      },
    },
  ],
};
