import { expect } from "vitest";
import type { Task } from "../models/task.js";
import { type CaseGroup, expectError, inMs, sorted } from "./conformance-kit.js";
import type { QueueUnderTest as Q } from "./queue-cases-enqueue.js";

const ids = (tasks: readonly Task[]) => tasks.map((t) => t.id);

async function drain(q: Q, queues?: string[], now?: Date): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const t = await q.dequeue({ queues, workerId: "drain", now });
    if (!t) return out;
    out.push(t.id);
  }
}

export const claimCases: CaseGroup<Q> = {
  name: "claim order, delays, TTL and dependencies",
  cases: [
    {
      name: "claims by priority desc, then runAt asc, then insertion order (not id order)",
      async run(q) {
        const base = Date.now() - 60_000;
        const at = (s: number) => new Date(base + s * 1000);
        await q.enqueue({ id: "o-c", name: "n", runAt: at(0) });
        await q.enqueue({ id: "o-hi-late", name: "n", priority: 5, runAt: at(10) });
        await q.enqueue({ id: "o-a", name: "n", runAt: at(0) });
        await q.enqueue({ id: "o-low", name: "n", priority: -1, runAt: at(0) });
        await q.enqueue({ id: "o-hi-early", name: "n", priority: 5, runAt: at(5) });
        await q.enqueue({ id: "o-b", name: "n", runAt: at(0) });
        await q.enqueue({ id: "o-early", name: "n", runAt: at(-5) });
        expect(await drain(q)).toEqual([
          "o-hi-early",
          "o-hi-late",
          "o-early",
          "o-c",
          "o-a",
          "o-b",
          "o-low",
        ]);
      },
    },
    {
      name: "claims from several queues in the order given; unlisted queues are left alone",
      async run(q) {
        await q.enqueue({ id: "mq-1a", name: "n", queue: "q1", priority: 100 });
        await q.enqueue({ id: "mq-2a", name: "n", queue: "q2" });
        await q.enqueue({ id: "mq-1b", name: "n", queue: "q1" });
        await q.enqueue({ id: "mq-3", name: "n", queue: "q3", priority: 1000 });
        await q.enqueue({ id: "mq-2b", name: "n", queue: "q2", priority: -5 });
        expect(await q.dequeue({ workerId: "w1" })).toBeNull();
        const many = await q.dequeueMany({ queues: ["q2", "q1"], workerId: "w1", limit: 3 });
        expect(ids(many)).toEqual(["mq-2a", "mq-2b", "mq-1a"]);
        expect(await drain(q, ["q2", "q1"])).toEqual(["mq-1b"]);
        expect((await q.get("mq-3"))!.status).toBe("pending");
        await expectError(
          () => q.dequeue({ queues: ["../x"], workerId: "w1" }),
          "ValidationError",
          {
            field: "queues[0]",
          },
        );
      },
    },
    {
      name: "dequeueMany claims at most `limit`, in order, and each task once",
      async run(q) {
        const runAt = new Date(Date.now() - 1000);
        for (const p of [1, 3, 2, 5, 4])
          await q.enqueue({ id: `dm-${p}`, name: "n", priority: p, runAt });
        const first = await q.dequeueMany({ workerId: "w1", limit: 3 });
        expect(ids(first)).toEqual(["dm-5", "dm-4", "dm-3"]);
        for (const t of first) expect(t).toMatchObject({ status: "running", workerId: "w1" });
        const rest = await q.dequeueMany({ workerId: "w2", limit: 10 });
        expect(ids(rest)).toEqual(["dm-2", "dm-1"]);
        expect(await q.dequeueMany({ workerId: "w3", limit: 10 })).toEqual([]);
        expect(await q.count({ statuses: ["running"] })).toBe(5);
        await expectError(() => q.dequeueMany({ workerId: "w1", limit: 0 }), "ValidationError", {
          field: "limit",
        });
      },
    },
    {
      name: "a delayed task is not claimable before runAt (inclusive bound)",
      async run(q) {
        const t = await q.enqueue({ name: "n", delayMs: 60_000 });
        expect(t.runAt.getTime()).toBeGreaterThanOrEqual(Date.now() + 55_000);
        const soon = await q.enqueue({ name: "n", runAt: inMs(30_000) });
        expect(await q.dequeue({ workerId: "w1" })).toBeNull();
        expect(
          await q.dequeue({ workerId: "w1", now: new Date(t.runAt.getTime() - 1) }),
        ).toMatchObject({ id: soon.id });
        expect(
          await q.dequeue({ workerId: "w1", now: new Date(t.runAt.getTime() - 1) }),
        ).toBeNull();
        const got = await q.dequeue({ workerId: "w1", now: t.runAt });
        expect(got).toMatchObject({ id: t.id, status: "running" });
      },
    },
    {
      name: "TTL: claim never returns an expired task; expireOverdue marks never-started tasks expired",
      async run(q) {
        const ttl = await q.enqueue({ id: "ttl-1", name: "n", ttlMs: 1000 });
        const started = await q.enqueue({ id: "ttl-run", name: "n", ttlMs: 1000, priority: 1 });
        const plain = await q.enqueue({ id: "ttl-none", name: "n", runAt: new Date(0) });
        expect(ttl.expiresAt).toBeInstanceOf(Date);
        const after = new Date(ttl.expiresAt!.getTime() + 1);
        expect(await q.dequeue({ workerId: "w1" })).toMatchObject({ id: started.id });
        expect(await drain(q, undefined, after)).toEqual([plain.id]);
        expect((await q.get(ttl.id))!.status).toBe("pending");

        expect(await q.expireOverdue(new Date(ttl.expiresAt!.getTime() - 500))).toEqual([]);
        const expired = await q.expireOverdue(after);
        expect(ids(expired)).toEqual([ttl.id]);
        const got = await q.get(ttl.id);
        expect(got).toMatchObject({ status: "expired", startedAt: null });
        expect(got!.finishedAt).toBeInstanceOf(Date);
        expect((await q.get(started.id))!.status).toBe("running");
        expect(await q.expireOverdue(after)).toEqual([]);
        expect(await q.dequeue({ workerId: "w1", now: after })).toBeNull();
      },
    },
    {
      name: "a dependent is not claimable until every dependency succeeded",
      async run(q) {
        const a = await q.enqueue({ id: "dep-a", name: "n" });
        const b = await q.enqueue({ id: "dep-b", name: "n" });
        const c = await q.enqueue({
          id: "dep-c",
          name: "n",
          priority: 100,
          dependsOn: [a.id, b.id],
        });
        expect(c.status).toBe("pending");
        expect(c.dependsOn).toEqual([a.id, b.id]);
        const first = await q.dequeueMany({ workerId: "w1", limit: 10 });
        expect(sorted(ids(first))).toEqual([a.id, b.id]);
        await q.complete(a.id, "w1");
        expect(await q.dequeue({ workerId: "w1" })).toBeNull();
        await q.complete(b.id, "w1");
        expect(await q.dequeue({ workerId: "w1" })).toMatchObject({ id: c.id, status: "running" });
      },
    },
    {
      name: "a dependency that no longer exists (purged after success, or deleted) does not block",
      async run(q) {
        const a = await q.enqueue({ id: "gone-a", name: "n", priority: 10 });
        const b = await q.enqueue({ id: "gone-b", name: "n", dependsOn: [a.id] });
        expect((await q.dequeue({ workerId: "w1" }))!.id).toBe(a.id);
        await q.complete(a.id, "w1");
        expect(await q.purge({ statuses: ["success"] })).toBe(1);
        expect(await q.dequeue({ workerId: "w1" })).toMatchObject({ id: b.id });

        const c = await q.enqueue({ id: "gone-c", name: "n", runAt: inMs(60_000) });
        const d = await q.enqueue({ id: "gone-d", name: "n", dependsOn: [c.id] });
        expect(await q.dequeue({ workerId: "w1" })).toBeNull();
        expect(await q.delete(c.id)).toBe(true);
        expect(await q.dequeue({ workerId: "w1" })).toMatchObject({ id: d.id });
      },
    },
    {
      name: "dependencies in the same enqueueMany batch are accepted and gate the dependent",
      async run(q) {
        const [a, b] = await q.enqueueMany([
          { id: "bd-a", name: "n" },
          { id: "bd-b", name: "n", priority: 9, dependsOn: ["bd-a"] },
        ]);
        expect(b!.status).toBe("pending");
        expect(await q.dequeue({ workerId: "w1" })).toMatchObject({ id: a!.id });
        expect(await q.dequeue({ workerId: "w1" })).toBeNull();
        await q.complete(a!.id, "w1");
        expect(await q.dequeue({ workerId: "w1" })).toMatchObject({ id: b!.id });
      },
    },
    {
      name: "a dependency failing for good cancels the dependents, recursively",
      async run(q) {
        const a = await q.enqueue({ id: "fd-a", name: "n", maxRetries: 0 });
        await q.enqueue({ id: "fd-b", name: "n", dependsOn: [a.id] });
        await q.enqueue({ id: "fd-c", name: "n", dependsOn: ["fd-b"] });
        await q.enqueue({ id: "fd-free", name: "n" });
        expect((await q.dequeue({ workerId: "w1" }))!.id).toBe(a.id);
        await q.fail(a.id, "w1", { error: { name: "Error", message: "boom", retryable: false } });
        for (const id of ["fd-b", "fd-c"]) {
          const t = await q.get(id);
          expect(t!.status, id).toBe("cancelled");
          expect(t!.finishedAt).toBeInstanceOf(Date);
          expect(typeof t!.cancelReason).toBe("string");
        }
        expect((await q.get("fd-free"))!.status).toBe("pending");
        expect(await drain(q)).toEqual(["fd-free"]);
      },
    },
    {
      name: "a cancelled or expired dependency cancels the dependents",
      async run(q) {
        const a = await q.enqueue({ id: "cd-a", name: "n", runAt: inMs(60_000) });
        await q.enqueue({ id: "cd-b", name: "n", dependsOn: [a.id] });
        await q.cancel(a.id);
        expect((await q.get("cd-b"))!.status).toBe("cancelled");

        const e = await q.enqueue({ id: "ed-a", name: "n", ttlMs: 1000, runAt: inMs(60_000) });
        await q.enqueue({ id: "ed-b", name: "n", dependsOn: [e.id] });
        await q.expireOverdue(new Date(e.expiresAt!.getTime() + 1));
        expect((await q.get("ed-a"))!.status).toBe("expired");
        expect((await q.get("ed-b"))!.status).toBe("cancelled");
      },
    },
    {
      name: "enqueue with a missing dependency fails; a dead dependency cancels the new task at once",
      async run(q) {
        await expectError(() => q.enqueue({ name: "n", dependsOn: ["nope"] }), "ValidationError", {
          field: "dependsOn[0]",
        });
        await expectError(
          () => q.enqueueMany([{ name: "n" }, { name: "n", dependsOn: ["nope"] }]),
          "ValidationError",
          { field: "tasks[1].dependsOn[0]" },
        );
        expect(await q.count()).toBe(0);
        const dead = await q.enqueue({ id: "dd-a", name: "n" });
        await q.cancel(dead.id);
        const t = await q.enqueue({ id: "dd-b", name: "n", dependsOn: [dead.id] });
        expect(t.status).toBe("cancelled");
        expect((await q.get(t.id))!.status).toBe("cancelled");
        expect(await q.dequeue({ workerId: "w1" })).toBeNull();
      },
    },
  ],
};
