import { expect } from "vitest";
import type { TaskError } from "../models/task.js";
import { type CaseGroup, expectError, inMs } from "./conformance-kit.js";
import type { QueueUnderTest as Q } from "./queue-cases-enqueue.js";

const boom: TaskError = { name: "Error", message: "boom", retryable: true };

/** Enqueues one task and claims it as `workerId`. */
async function claimOne(q: Q, workerId = "w1", extra: { maxRetries?: number } = {}) {
  const t = await q.enqueue({ name: "n", ...extra });
  const claimed = await q.dequeue({ workerId, leaseMs: 1000 });
  expect(claimed?.id).toBe(t.id);
  return claimed!;
}

export const leaseCases: CaseGroup<Q> = {
  name: "leases, completion, failure and operator actions",
  cases: [
    {
      name: "claim sets running, workerId, leaseUntil = now + leaseMs, startedAt, attempts + 1",
      async run(q) {
        const t = await q.enqueue({ name: "n" });
        const now = inMs(1000);
        const c = await q.dequeue({ workerId: "w1", leaseMs: 5000, now });
        expect(c).toMatchObject({ id: t.id, status: "running", workerId: "w1", attempts: 1 });
        expect(c!.leaseUntil!.getTime()).toBe(now.getTime() + 5000);
        expect(c!.startedAt!.getTime()).toBe(now.getTime());
        expect(c!.updatedAt.getTime()).toBe(now.getTime());
        expect(await q.get(t.id)).toEqual(c);
        expect(await q.dequeue({ workerId: "w2", now })).toBeNull();
        await expectError(() => q.dequeue({ workerId: "a/b" }), "ValidationError", {
          field: "workerId",
        });
      },
    },
    {
      name: "heartbeat extends the lease; another worker's heartbeat is a LeaseLostError",
      async run(q) {
        const c = await claimOne(q);
        const before = Date.now();
        const hb = await q.heartbeat(c.id, "w1", 60_000);
        expect(hb.leaseUntil!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
        expect(hb.leaseUntil!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
        expect((await q.get(c.id))!.leaseUntil!.getTime()).toBe(hb.leaseUntil!.getTime());
        expect(await q.recoverExpiredLeases(inMs(30_000))).toEqual([]);
        expect((await q.get(c.id))!.status).toBe("running");
        await expectError(() => q.heartbeat(c.id, "w2", 60_000), "LeaseLostError", {
          taskId: c.id,
        });
        const pending = await q.enqueue({ name: "n", runAt: inMs(60_000) });
        await expectError(() => q.heartbeat(pending.id, "w1"), "LeaseLostError");
        await expectError(() => q.heartbeat("missing-task", "w1"), "NotFoundError");
      },
    },
    {
      name: "an expired lease is recovered to pending (attempt kept); the old worker then loses the task",
      async run(q) {
        const c = await claimOne(q);
        expect(await q.recoverExpiredLeases(new Date(c.leaseUntil!.getTime() - 1))).toEqual([]);
        const later = inMs(3_600_000);
        const recovered = await q.recoverExpiredLeases(later);
        expect(recovered.map((t) => t.id)).toEqual([c.id]);
        const p = await q.get(c.id);
        expect(p).toMatchObject({ status: "pending", attempts: 1, leaseUntil: null });
        expect(p!.lastError).not.toBeNull();
        const again = await q.dequeue({ workerId: "w2", now: later });
        expect(again).toMatchObject({ id: c.id, workerId: "w2", attempts: 2 });
        await expectError(() => q.complete(c.id, "w1"), "LeaseLostError", { taskId: c.id });
        await expectError(() => q.heartbeat(c.id, "w1"), "LeaseLostError");
        await expectError(() => q.fail(c.id, "w1", { error: boom }), "LeaseLostError");
        expect((await q.get(c.id))!.status).toBe("running");
        expect(await q.complete(c.id, "w2")).toMatchObject({ status: "success" });
      },
    },
    {
      name: "a lease that runs out with no retry left fails the task for good",
      async run(q) {
        const c = await claimOne(q, "w1", { maxRetries: 1 });
        const t1 = inMs(3_600_000);
        await q.recoverExpiredLeases(t1);
        expect((await q.get(c.id))!.status).toBe("pending");
        expect(await q.dequeue({ workerId: "w2", leaseMs: 1000, now: t1 })).toMatchObject({
          attempts: 2,
        });
        const t2 = new Date(t1.getTime() + 3_600_000);
        const out = await q.recoverExpiredLeases(t2);
        expect(out.map((t) => t.id)).toEqual([c.id]);
        const f = await q.get(c.id);
        expect(f).toMatchObject({ status: "failed", attempts: 2 });
        expect(f!.finishedAt).toBeInstanceOf(Date);
        expect(f!.lastError).not.toBeNull();
      },
    },
    {
      name: "complete marks success; a second complete or another worker's is a LeaseLostError",
      async run(q) {
        const c = await claimOne(q);
        const other = await q.enqueue({ name: "n" });
        await q.dequeue({ workerId: "w9" });
        await expectError(() => q.complete(other.id, "w1"), "LeaseLostError");
        const done = await q.complete(c.id, "w1");
        expect(done).toMatchObject({ id: c.id, status: "success", leaseUntil: null, attempts: 1 });
        expect(done.finishedAt).toBeInstanceOf(Date);
        expect(await q.get(c.id)).toEqual(done);
        await expectError(() => q.complete(c.id, "w1"), "LeaseLostError");
        await expectError(() => q.complete("missing-task", "w1"), "NotFoundError");
        const pending = await q.enqueue({ name: "n", runAt: inMs(60_000) });
        await expectError(() => q.complete(pending.id, "w1"), "LeaseLostError");
      },
    },
    {
      name: "completeMany completes in order and returns null where the lease was lost",
      async run(q) {
        await q.enqueueMany([
          { id: "cm-1", name: "n", priority: 3 },
          { id: "cm-2", name: "n", priority: 2 },
          { id: "cm-3", name: "n", priority: 1 },
        ]);
        expect((await q.dequeueMany({ workerId: "w1", limit: 3 })).length).toBe(3);
        await q.cancel("cm-2");
        const out = await q.completeMany([
          { id: "cm-1", workerId: "w1" },
          { id: "cm-2", workerId: "w1" },
          { id: "cm-3", workerId: "w2" },
        ]);
        expect(out).toHaveLength(3);
        expect(out[0]).toMatchObject({ id: "cm-1", status: "success" });
        expect(out[1]).toBeNull();
        expect(out[2]).toBeNull();
        expect((await q.get("cm-2"))!.status).toBe("cancelled");
        expect((await q.get("cm-3"))!.status).toBe("running");
        expect(await q.completeMany([{ id: "cm-3", workerId: "w1" }])).toMatchObject([
          { id: "cm-3", status: "success" },
        ]);
        expect(await q.completeMany([])).toEqual([]);
      },
    },
    {
      name: "fail with retryAt returns the task to pending at that time, with lastError",
      async run(q) {
        const c = await claimOne(q);
        const retryAt = inMs(60_000);
        const f = await q.fail(c.id, "w1", { error: boom, retryAt });
        expect(f).toMatchObject({
          status: "pending",
          attempts: 1,
          workerId: null,
          leaseUntil: null,
        });
        expect(f.runAt.getTime()).toBe(retryAt.getTime());
        expect(f.lastError).toMatchObject({ name: "Error", message: "boom", retryable: true });
        expect(await q.get(c.id)).toEqual(f);
        expect(await q.dequeue({ workerId: "w1" })).toBeNull();
        expect(
          await q.dequeue({ workerId: "w1", now: new Date(retryAt.getTime() - 1) }),
        ).toBeNull();
        const again = await q.dequeue({ workerId: "w2", now: retryAt });
        expect(again).toMatchObject({ id: c.id, attempts: 2, workerId: "w2" });
      },
    },
    {
      name: "fail without retryAt fails the task for good",
      async run(q) {
        const c = await claimOne(q);
        const error: TaskError = {
          name: "TypeError",
          message: "bad",
          retryable: false,
          kind: "handler",
        };
        const f = await q.fail(c.id, "w1", { error });
        expect(f).toMatchObject({ status: "failed", leaseUntil: null, lastError: error });
        expect(f.finishedAt).toBeInstanceOf(Date);
        expect(await q.get(c.id)).toEqual(f);
        expect(await q.dequeue({ workerId: "w1", now: inMs(3_600_000) })).toBeNull();
        await expectError(() => q.fail(c.id, "w1", { error }), "LeaseLostError");
      },
    },
    {
      name: "release gives the task back without using an attempt",
      async run(q) {
        const c = await claimOne(q);
        await expectError(() => q.release(c.id, "w2"), "LeaseLostError");
        const r = await q.release(c.id, "w1");
        expect(r).toMatchObject({
          status: "pending",
          attempts: 0,
          workerId: null,
          leaseUntil: null,
        });
        const again = await q.dequeue({ workerId: "w2" });
        expect(again).toMatchObject({ id: c.id, attempts: 1 });
        const later = inMs(60_000);
        const r2 = await q.release(c.id, "w2", { runAt: later });
        expect(r2.runAt.getTime()).toBe(later.getTime());
        expect(await q.dequeue({ workerId: "w3" })).toBeNull();
        expect(await q.dequeue({ workerId: "w3", now: later })).toMatchObject({ id: c.id });
        await expectError(() => q.release(c.id, "w2"), "LeaseLostError");
      },
    },
    {
      name: "setProgress stores the value for the lease holder only",
      async run(q) {
        const c = await claimOne(q);
        const p = await q.setProgress(c.id, "w1", { pct: 50, at: new Date(0) });
        expect(p.progress).toEqual({ pct: 50, at: new Date(0) });
        expect((await q.get(c.id))!.progress).toEqual({ pct: 50, at: new Date(0) });
        await q.setProgress(c.id, "w1", 75);
        expect((await q.get(c.id))!.progress).toBe(75);
        await expectError(() => q.setProgress(c.id, "w2", 1), "LeaseLostError");
        expect((await q.get(c.id))!.progress).toBe(75);
      },
    },
    {
      name: "cancel: a pending task never runs; a running task's owner loses it",
      async run(q) {
        const p = await q.enqueue({ id: "cx-p", name: "n", priority: 5 });
        const cancelled = await q.cancel(p.id, "not needed");
        expect(cancelled).toMatchObject({ status: "cancelled", cancelReason: "not needed" });
        expect(cancelled.finishedAt).toBeInstanceOf(Date);
        expect(await q.dequeue({ workerId: "w1", now: inMs(60_000) })).toBeNull();

        const c = await claimOne(q);
        expect(await q.cancel(c.id)).toMatchObject({ status: "cancelled", leaseUntil: null });
        await expectError(() => q.complete(c.id, "w1"), "LeaseLostError");
        await expectError(() => q.heartbeat(c.id, "w1"), "LeaseLostError");
        expect((await q.get(c.id))!.status).toBe("cancelled");
        await expectError(() => q.cancel("missing-task"), "NotFoundError");
      },
    },
    {
      name: "cancel of a finished task is an IllegalTransitionError",
      async run(q) {
        const c = await claimOne(q);
        await q.complete(c.id, "w1");
        await expectError(() => q.cancel(c.id), "IllegalTransitionError", {
          from: "success",
          to: "cancelled",
        });
        const x = await q.enqueue({ name: "n" });
        await q.cancel(x.id);
        await expectError(() => q.cancel(x.id), "IllegalTransitionError", { from: "cancelled" });
        expect((await q.get(c.id))!.status).toBe("success");
      },
    },
    {
      name: "redrive brings failed, cancelled and expired tasks back to pending; others are refused",
      async run(q) {
        const f = await claimOne(q, "w1", { maxRetries: 0 });
        await q.fail(f.id, "w1", { error: boom });
        const x = await q.enqueue({ id: "rd-x", name: "n", runAt: inMs(60_000) });
        await q.cancel(x.id);
        const e = await q.enqueue({ id: "rd-e", name: "n", ttlMs: 1000, runAt: inMs(60_000) });
        await q.expireOverdue(new Date(e.expiresAt!.getTime() + 1));
        expect((await q.get(e.id))!.status).toBe("expired");

        for (const id of [f.id, x.id, e.id]) {
          const r = await q.redrive(id);
          expect(r, id).toMatchObject({
            status: "pending",
            attempts: 0,
            finishedAt: null,
            startedAt: null,
            leaseUntil: null,
          });
          expect(r.runAt.getTime()).toBeLessThanOrEqual(Date.now());
        }
        // Claimed after the expired task's TTL: a redriven task runs even when its TTL has passed.
        const later = new Date(Math.max(Date.now(), e.expiresAt!.getTime()) + 1000);
        const claimed = await q.dequeueMany({ workerId: "w2", limit: 10, now: later });
        expect(claimed.map((t) => t.id).sort()).toEqual([f.id, x.id, e.id].sort());
        for (const t of claimed) expect(t.attempts).toBe(1);
        await expectError(() => q.redrive(f.id), "IllegalTransitionError", { from: "running" });
        await q.complete(f.id, "w2");
        await expectError(() => q.redrive(f.id), "IllegalTransitionError", { from: "success" });
        const p = await q.enqueue({ name: "n" });
        await expectError(() => q.redrive(p.id), "IllegalTransitionError", { from: "pending" });
        await expectError(() => q.redrive("missing-task"), "NotFoundError");
      },
    },
  ],
};
