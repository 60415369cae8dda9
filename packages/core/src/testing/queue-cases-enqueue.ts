import { expect } from "vitest";
import type { TaskQueue } from "../contracts/queue-types.js";
import type { Task } from "../models/task.js";
import {
  type AsyncOrBlocking,
  type CaseGroup,
  collectPages,
  expectError,
  inMs,
  sorted,
} from "./conformance-kit.js";

/** A queue seen by the cases: the async one or its blocking twin. */
export type QueueUnderTest = AsyncOrBlocking<TaskQueue>;
type Q = QueueUnderTest;

const ids = (tasks: readonly Task[]) => tasks.map((t) => t.id);

export const enqueueCases: CaseGroup<Q> = {
  name: "enqueue, get, list, count",
  cases: [
    {
      name: "enqueue fills defaults and get returns the stored task",
      async run(q) {
        const before = Date.now();
        const t = await q.enqueue({ name: "email.send", args: ["a@example.com", 3] });
        expect(typeof t.id).toBe("string");
        expect(t).toMatchObject({
          name: "email.send",
          queue: "default",
          args: ["a@example.com", 3],
          status: "pending",
          priority: 0,
          attempts: 0,
          dependsOn: [],
          startedAt: null,
          finishedAt: null,
          expiresAt: null,
          workerId: null,
          leaseUntil: null,
          lastError: null,
          scheduleId: null,
        });
        expect(t.createdAt).toBeInstanceOf(Date);
        expect(t.runAt).toBeInstanceOf(Date);
        expect(t.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(t.runAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        expect(await q.get(t.id)).toEqual(t);
        expect(await q.get("no-such-task")).toBeNull();
      },
    },
    {
      name: "enqueue keeps the given options",
      async run(q) {
        const runAt = inMs(3_600_000);
        const t = await q.enqueue({
          id: "opts-1",
          name: "n",
          queue: "mail",
          priority: 7,
          runAt,
          maxRetries: 5,
          timeoutMs: 1234,
          storeResult: false,
          resultTtlMs: 5000,
          metadata: { tenant: "acme", n: 1 },
        });
        const got = await q.get("opts-1");
        expect(got).toEqual(t);
        expect(got).toMatchObject({
          id: "opts-1",
          queue: "mail",
          priority: 7,
          maxRetries: 5,
          timeoutMs: 1234,
          storeResult: false,
          resultTtlMs: 5000,
          metadata: { tenant: "acme", n: 1 },
        });
        expect(got!.runAt.getTime()).toBe(runAt.getTime());
      },
    },
    {
      name: "enqueue by an existing id is idempotent: the stored task comes back unchanged",
      async run(q) {
        const first = await q.enqueue({ id: "job-1", name: "n", args: [1] });
        const again = await q.enqueue({ id: "job-1", name: "other", args: [2], priority: 9 });
        expect(again).toEqual(first);
        expect((await q.get("job-1"))!.args).toEqual([1]);
        expect(await q.count()).toBe(1);
      },
    },
    {
      name: "Date, bigint, Uint8Array and nested values round-trip through args and metadata",
      async run(q) {
        const when = new Date("2024-05-06T07:08:09.123Z");
        const args = [
          when,
          12_345_678_901_234_567_890n,
          new Uint8Array([0, 1, 2, 255]),
          { nested: { at: when, list: [1, "two", null, true] }, $omniq: "not a tag" },
          null,
          -0.5,
          "text ✓",
        ];
        const t = await q.enqueue({ name: "n", args, metadata: { since: when, big: 7n } });
        for (const got of [t, (await q.get(t.id))!]) {
          expect(got.args[0]).toBeInstanceOf(Date);
          expect((got.args[0] as Date).getTime()).toBe(when.getTime());
          expect(got.args[1]).toBe(12_345_678_901_234_567_890n);
          expect(got.args[2]).toBeInstanceOf(Uint8Array);
          expect(Array.from(got.args[2] as Uint8Array)).toEqual([0, 1, 2, 255]);
          expect(got.args[3]).toEqual(args[3]);
          expect(got.args.slice(4)).toEqual([null, -0.5, "text ✓"]);
          expect(got.metadata).toEqual({ since: when, big: 7n });
        }
      },
    },
    {
      name: "stored tasks are copies: mutating an input or a returned task changes nothing",
      async run(q) {
        const input = { id: "copy-1", name: "n", args: [{ a: 1 }], metadata: { m: [1] } };
        const t = await q.enqueue(input);
        input.args[0]!.a = 2;
        input.metadata.m.push(2);
        t.status = "failed";
        t.args.push("x");
        (t.metadata as { m: number[] }).m.push(3);
        const got = await q.get("copy-1");
        expect(got!.status).toBe("pending");
        expect(got!.args).toEqual([{ a: 1 }]);
        expect(got!.metadata).toEqual({ m: [1] });
        got!.args.push("y");
        expect((await q.get("copy-1"))!.args).toEqual([{ a: 1 }]);
      },
    },
    {
      name: "validation errors name the field",
      async run(q) {
        await expectError(() => q.enqueue({ name: "n", queue: "../x" }), "ValidationError", {
          field: "queue",
        });
        await expectError(() => q.enqueue({ name: "n", id: "a/b" }), "ValidationError", {
          field: "id",
        });
        await expectError(() => q.enqueue({ name: "n", id: ".." }), "ValidationError", {
          field: "id",
        });
        await expectError(
          () => q.enqueue({ name: "n", args: [1, { fn: () => 1 }] }),
          "ValidationError",
          { field: "args[1].fn" },
        );
        await expectError(() => q.enqueue({ name: "n", args: [Number.NaN] }), "ValidationError", {
          field: "args[0]",
        });
        await expectError(
          () => q.enqueue({ name: "n", args: ["x".repeat(1_100_000)] }),
          "ValidationError",
          { field: "args" },
        );
        await expectError(() => q.enqueue({ name: "" }), "ValidationError", { field: "name" });
        await expectError(() => q.enqueue({ name: "n", priority: 1.5 }), "ValidationError", {
          field: "priority",
        });
        await expectError(() => q.get("../etc/passwd"), "ValidationError", { field: "id" });
        expect(await q.count()).toBe(0);
      },
    },
    {
      name: "enqueueMany stores all in order, names the bad item's field, and stores nothing on a bad batch",
      async run(q) {
        const out = await q.enqueueMany([
          { id: "m-b", name: "n", args: [1] },
          { id: "m-a", name: "n", args: [2] },
          { name: "n", args: [3] },
        ]);
        expect(out.map((t) => t.args[0])).toEqual([1, 2, 3]);
        expect(ids(out).slice(0, 2)).toEqual(["m-b", "m-a"]);
        expect(await q.count()).toBe(3);
        for (const t of out) expect(await q.get(t.id)).toEqual(t);
        await expectError(
          () =>
            q.enqueueMany([
              { id: "bad-0", name: "n" },
              { id: "bad-1", name: "n", args: [{ when: new Date(Number.NaN) }] },
            ]),
          "ValidationError",
          { field: "tasks[1].args[0].when" },
        );
        expect(await q.get("bad-0")).toBeNull();
        expect(await q.count()).toBe(3);
        expect(await q.enqueueMany([])).toEqual([]);
      },
    },
    {
      name: "count and list filter by queue, statuses, name, dependsOn and scheduleId",
      async run(q) {
        const a = await q.enqueue({ id: "f-a", name: "alpha", queue: "q1" });
        const b = await q.enqueue({ id: "f-b", name: "beta", queue: "q1", dependsOn: [a.id] });
        const c = await q.enqueue({ id: "f-c", name: "alpha", queue: "q2", scheduleId: "sch-1" });
        const d = await q.enqueue({ id: "f-d", name: "beta", queue: "q2", dependsOn: [a.id] });
        await q.enqueue({ id: "f-e", name: "gamma", queue: "q2", scheduleId: "sch-2" });
        const claimed = await q.dequeue({ queues: ["q1"], workerId: "w1" });
        expect(claimed!.id).toBe(a.id);

        const check = async (filter: Parameters<Q["count"]>[0], expected: string[]) => {
          expect(await q.count(filter)).toBe(expected.length);
          expect(sorted(ids((await q.list(filter)).items))).toEqual(sorted(expected));
        };
        await check({}, ["f-a", "f-b", "f-c", "f-d", "f-e"]);
        await check({ queue: "q1" }, [a.id, b.id]);
        await check({ queue: "q2" }, [c.id, d.id, "f-e"]);
        await check({ queue: "nope" }, []);
        await check({ statuses: ["running"] }, [a.id]);
        await check({ statuses: ["pending"] }, [b.id, c.id, d.id, "f-e"]);
        await check({ statuses: ["running", "pending"] }, ["f-a", "f-b", "f-c", "f-d", "f-e"]);
        await check({ statuses: ["success"] }, []);
        await check({ name: "alpha" }, [a.id, c.id]);
        await check({ dependsOn: a.id }, [b.id, d.id]);
        await check({ scheduleId: "sch-1" }, [c.id]);
        await check({ queue: "q2", name: "beta" }, [d.id]);
        await check({ queue: "q1", statuses: ["pending"] }, [b.id]);
        await check({ queue: "q2", dependsOn: a.id, statuses: ["pending"] }, [d.id]);
      },
    },
    {
      name: "list pages through 25 tasks with limit 10, in insertion order, without gaps or repeats",
      async run(q) {
        const made: string[] = [];
        for (let i = 0; i < 25; i++) {
          made.push((await q.enqueue({ name: "page", args: [i] })).id);
          if (i % 5 === 0) await q.enqueue({ name: "other", queue: "elsewhere" });
        }
        const first = await q.list({ queue: "default", limit: 10 });
        expect(first.items).toHaveLength(10);
        expect(first.nextCursor).not.toBeNull();
        const { items, pages } = await collectPages((cursor) =>
          q.list({ queue: "default", limit: 10, cursor }),
        );
        expect(pages[0]!.length).toBe(10);
        expect(pages[1]!.length).toBe(10);
        expect(pages[2]!.length).toBe(5);
        expect(ids(items)).toEqual(made);
        expect(items.map((t) => t.args[0])).toEqual(made.map((_, i) => i));
        const all = await collectPages((cursor) => q.list({ limit: 7, cursor }));
        expect(all.items).toHaveLength(30);
        expect(new Set(ids(all.items)).size).toBe(30);
        expect((await q.list()).items).toHaveLength(30);
        await expectError(() => q.list({ limit: 0 }), "ValidationError", { field: "limit" });
      },
    },
    {
      name: "delete removes a task and reports whether it existed",
      async run(q) {
        const t = await q.enqueue({ name: "n" });
        expect(await q.delete(t.id)).toBe(true);
        expect(await q.get(t.id)).toBeNull();
        expect(await q.delete(t.id)).toBe(false);
        expect(await q.count()).toBe(0);
        expect(await q.dequeue({ workerId: "w1" })).toBeNull();
      },
    },
    {
      name: "purge deletes final tasks only, by status, queue and finishedBefore",
      async run(q) {
        const t0 = Date.now();
        await q.enqueueMany([
          { id: "p-ok1", name: "n", priority: 9 },
          { id: "p-ok2", name: "n", priority: 8 },
          { id: "p-fail", name: "n", priority: 7 },
          { id: "p-cancel", name: "n" },
          { id: "p-run", name: "n", priority: 6 },
          { id: "p-pending", name: "n", runAt: inMs(3_600_000) },
          { id: "p-other", name: "n", queue: "other" },
        ]);
        const claimed = await q.dequeueMany({ workerId: "w1", limit: 4 });
        expect(ids(claimed)).toEqual(["p-ok1", "p-ok2", "p-fail", "p-run"]);
        await q.complete("p-ok1", "w1", { now: new Date(t0 + 1000) });
        await q.complete("p-ok2", "w1", { now: new Date(t0 + 5000) });
        await q.fail("p-fail", "w1", {
          error: { name: "Error", message: "x", retryable: false },
          now: new Date(t0 + 1000),
        });
        await q.cancel("p-cancel");
        const other = await q.dequeue({ queues: ["other"], workerId: "w1" });
        await q.complete(other!.id, "w1", { now: new Date(t0 + 1000) });

        await expectError(() => q.purge({ statuses: ["pending"] }), "ValidationError", {
          field: "statuses",
        });
        await expectError(() => q.purge({ statuses: ["success", "running"] }), "ValidationError", {
          field: "statuses",
        });
        expect(await q.purge({ statuses: ["success"], finishedBefore: new Date(t0 + 3000) })).toBe(
          2,
        );
        expect(await q.get("p-ok1")).toBeNull();
        expect(await q.get("p-other")).toBeNull();
        expect(await q.get("p-ok2")).not.toBeNull();
        expect(await q.purge({ queue: "default", statuses: ["failed"] })).toBe(1);
        expect(await q.get("p-fail")).toBeNull();
        expect(await q.purge()).toBe(2);
        expect(sorted(ids((await q.list()).items))).toEqual(["p-pending", "p-run"]);
        expect(await q.purge()).toBe(0);
      },
    },
  ],
};
