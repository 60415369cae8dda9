/**
 * The expired-lease sweep lists at most two pages of a queue's `pending/` per call, however
 * long the backlog: the first page (where leases gather, claims taking the front) and the next
 * page of a pass through the rest, which the next sweep goes on with. A lease behind the first
 * page is still found, within `backlog / 1000` sweeps.
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

/** Counts the listings of `pending/` directories. */
class PendingLists extends CountingTarget {
  pendingLists = 0;
  override async list(options: ListOptions): Promise<ListPage> {
    if (options.prefix.includes("/pending/")) this.pendingLists++;
    return super.list(options);
  }
}

const later = () => new Date(Date.now() + 120_000);

/** Queue `a` (the process that enqueues and claims) and `b` (another process, its lists counted). */
function twoProcesses(name: string) {
  const memory = new MemoryTarget({ name: uniqueName(name) });
  const a = new AsyncFileQueue({ target: asAnotherProcess(new CountingTarget(memory), "a") });
  const bTarget = new PendingLists(memory);
  const b = new AsyncFileQueue({ target: asAnotherProcess(bTarget, "b") });
  return { a, b, bTarget };
}

describe("expired-lease sweep on a long queue", () => {
  it("lists two pages per sweep and still finds a lease behind the first page", async () => {
    const { a, b, bTarget } = twoProcesses("sweep-pages");
    try {
      // a claims one task, then 3,500 tasks of a higher priority are enqueued: they sort
      // before its lease, which ends up behind three full pages.
      const lone = await a.enqueue({ name: "lone" });
      expect((await a.dequeue({ workerId: "wa", leaseMs: 60_000 }))?.id).toBe(lone.id);
      for (let i = 0; i < 3500; i += 500) {
        await a.enqueueMany(
          Array.from({ length: 500 }, (_, j) => ({ name: "t", args: [i + j], priority: 10 })),
        );
      }

      // b (another process: it knows none of these files) sweeps as if a had died.
      const sweeps: number[] = [];
      let found: string[] = [];
      for (let sweep = 1; sweep <= 6 && found.length === 0; sweep++) {
        bTarget.pendingLists = 0;
        found = (await b.recoverExpiredLeases(later())).map((t) => t.id);
        sweeps.push(bTarget.pendingLists);
      }
      expect(found).toEqual([lone.id]);
      // Each sweep listed at most two pages (the whole pass would be four).
      expect(Math.max(...sweeps)).toBeLessThanOrEqual(2);
      // Not on the first sweep (the lease is not on the first page), and within the
      // 3,501 / 1,000 pages the rest of the pass takes.
      expect(sweeps.length).toBeGreaterThan(1);
      expect(sweeps.length).toBeLessThanOrEqual(4);
      expect((await b.get(lone.id))?.status).toBe("pending");
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("finds the leases at the front of a long queue on the first sweep", async () => {
    const { a, b, bTarget } = twoProcesses("sweep-front");
    try {
      for (let i = 0; i < 3000; i += 500) {
        await a.enqueueMany(Array.from({ length: 500 }, (_, j) => ({ name: "t", args: [i + j] })));
      }
      const held = await a.dequeueMany({ workerId: "wa", limit: 20, leaseMs: 60_000 });
      expect(held).toHaveLength(20);
      const recovered = await b.recoverExpiredLeases(later());
      expect(recovered.map((t) => t.id).sort()).toEqual(held.map((t) => t.id).sort());
      expect(bTarget.pendingLists).toBeLessThanOrEqual(2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
