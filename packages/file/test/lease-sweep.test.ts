/**
 * The expired-lease sweep reads another process's lease file only when the lease it last read
 * there could have run out: heartbeats change the file's version every `leaseMs / 3`, but a
 * heartbeat only extends a lease, so re-reading each one per sweep would cost a GET per
 * running task per sweep per worker on an object store for nothing.
 */
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, CountingTarget, MemoryTarget } from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

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
});
