/**
 * The expired-lease sweep reads another process's lease file only when the lease it last read
 * there could have run out: heartbeats change the file's version every `leaseMs / 3`, but a
 * heartbeat only extends a lease, so re-reading each one per sweep would cost a GET per
 * running task per sweep per worker on an object store for nothing.
 */
import { describe, expect, it } from "vitest";
import {
  AsyncFileQueue,
  CountingTarget,
  type TargetListOptions as ListOptions,
  type ListPage,
  MemoryTarget,
} from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

/** Counts requests; the next listing of a queue's pending files runs `hook` before it returns. */
class HookedTarget extends CountingTarget {
  hook: (() => Promise<void>) | undefined;
  override async list(options: ListOptions): Promise<ListPage> {
    const page = await super.list(options);
    const hook = this.hook;
    if (hook && options.prefix.includes("/pending/")) {
      this.hook = undefined;
      await hook();
    }
    return page;
  }
}

const processView = (memory: MemoryTarget, name: string) =>
  asAnotherProcess(new CountingTarget(memory), name);

describe("expired-lease sweep", () => {
  it("does not re-read a foreign lease before the lease it last read there ends", async () => {
    const memory = new MemoryTarget({ name: uniqueName("sweep") });
    const a = new AsyncFileQueue({ target: processView(memory, "a") });
    const bTarget = processView(memory, "b");
    const b = new AsyncFileQueue({ target: bTarget });
    try {
      for (let i = 0; i < 10; i++) await a.enqueue({ name: "t", args: [i] });
      const held = await a.dequeueMany({ workerId: "wa", limit: 10, leaseMs: 60_000 });
      expect(held).toHaveLength(10);

      // First sweep in b: it reads each of a's leases once, and none has expired.
      bTarget.reset();
      expect(await b.recoverExpiredLeases()).toEqual([]);
      expect(bTarget.counts.read).toBeGreaterThanOrEqual(10);

      // a's heartbeats change every lease file's version; b's next sweep reads none of them.
      await new Promise((r) => setTimeout(r, 5)); // so that the heartbeats extend the leases
      for (const t of held) await a.heartbeat(t.id, "wa", 60_000);
      bTarget.reset();
      expect(await b.recoverExpiredLeases()).toEqual([]);
      expect(bTarget.counts.read).toBe(0);

      // Once the leases it read could have ended, b reads them again: a's heartbeats moved
      // them on, so nothing is recovered at a time before the new ends...
      const afterFirstLeases = new Date(held[0]!.leaseUntil!.getTime() + 1);
      bTarget.reset();
      expect(await b.recoverExpiredLeases(afterFirstLeases)).toEqual([]);
      expect(bTarget.counts.read).toBeGreaterThanOrEqual(10);

      // ...and everything is recovered once those have ended too.
      const recovered = await b.recoverExpiredLeases(new Date(Date.now() + 120_000));
      expect(recovered.map((t) => t.args[0]).sort((x, y) => Number(x) - Number(y))).toEqual(
        Array.from({ length: 10 }, (_, i) => i),
      );
      expect(recovered.every((t) => t.status === "pending")).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("does not read the lease files it deleted after listing them", async () => {
    const target = new HookedTarget(new MemoryTarget());
    const q = new AsyncFileQueue({ target });
    try {
      for (let i = 0; i < 20; i++) await q.enqueue({ name: "t", args: [i] });
      const held = await q.dequeueMany({ workerId: "w", limit: 20, leaseMs: 60_000 });
      expect(held).toHaveLength(20);
      // The sweep lists the 20 lease files; before it looks at them, the tasks finish here
      // and their lease files are deleted (the batch delete runs 250 ms after the first).
      target.hook = async () => {
        const done = await q.completeMany(held.map((t) => ({ id: t.id, workerId: "w" })));
        expect(done.every((t) => t?.status === "success")).toBe(true);
        await new Promise((r) => setTimeout(r, 400));
      };
      target.reset();
      // At a time when every one of those leases would have expired, had it still been held.
      expect(await q.recoverExpiredLeases(new Date(Date.now() + 120_000))).toEqual([]);
      expect(target.hook).toBeUndefined();
      expect(target.counts.deleteMany).toBe(1);
      expect(target.counts.read).toBe(0);
      for (const t of held) expect((await q.get(t.id))?.status).toBe("success");
    } finally {
      await q.close();
    }
  });

  it("does not read the leases it took after listing them", async () => {
    const target = new HookedTarget(new MemoryTarget());
    const q = new AsyncFileQueue({ target });
    try {
      for (let i = 0; i < 20; i++) await q.enqueue({ name: "t", args: [i] });
      // The sweep lists the 20 pending files; before it looks at them, a worker here claims
      // them all (each file's version moves on from the one listed).
      let held: Awaited<ReturnType<typeof q.dequeueMany>> = [];
      target.hook = async () => {
        held = await q.dequeueMany({ workerId: "w", limit: 20, leaseMs: 60_000 });
      };
      target.reset();
      expect(await q.recoverExpiredLeases()).toEqual([]);
      expect(held).toHaveLength(20);
      expect(target.counts.read).toBe(0);
      // Once those leases have run out by the sweep's clock, they are recovered.
      const later = new Date(Date.now() + 120_000);
      const recovered = await q.recoverExpiredLeases(later);
      expect(recovered.map((t) => t.id).sort()).toEqual(held.map((t) => t.id).sort());
      expect(recovered.every((t) => t.status === "pending")).toBe(true);
    } finally {
      await q.close();
    }
  });
});
