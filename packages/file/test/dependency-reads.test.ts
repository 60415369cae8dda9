/**
 * A task blocked on a dependency does not cost a read of that dependency on every claim: a
 * dependency read as not done is trusted for a second (claims running at once share one read),
 * and a task whose dependency succeeded in another process is claimable after at most that.
 */
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, CountingTarget, LocalTarget, MemoryTarget } from "../src/index.js";
import { asAnotherProcess, tempDir, uniqueName } from "./helpers.js";
import { longWaitingRunCase } from "./waiting-run.js";

/**
 * Process `a` enqueues a parent task and holds it running; `b` is another process (its
 * requests counted) that lists again at every claim (`listCacheMs: 0`), so each claim meets
 * every waiting task again.
 */
async function runningParent(name: string, pageSize?: number) {
  const memory = new MemoryTarget({ name: uniqueName(name) });
  const a = new AsyncFileQueue({ target: asAnotherProcess(new CountingTarget(memory), "a") });
  const bTarget = new CountingTarget(memory);
  const b = new AsyncFileQueue({
    target: asAnotherProcess(bTarget, "b"),
    listCacheMs: 0,
    ...(pageSize === undefined ? {} : { pageSize }),
  });
  const parent = await a.enqueue({ name: "parent" });
  expect((await a.dequeue({ workerId: "wa", leaseMs: 60_000 }))?.id).toBe(parent.id);
  return { a, b, bTarget, parent };
}

describe("claims of tasks waiting on a dependency", () => {
  it("read a running dependency once a second, not once per waiting task per claim", async () => {
    const { a, b, bTarget, parent } = await runningParent("dep-reads");
    try {
      const children = await b.enqueueMany(
        Array.from({ length: 100 }, (_, i) => ({
          name: "child",
          args: [i],
          dependsOn: [parent.id],
        })),
      );

      bTarget.reset();
      for (let i = 0; i < 5; i++) expect(await b.dequeue({ workerId: "wb" })).toBeNull();
      // One look at the parent (its record, then its lease file: 2 reads) for the 5 claims
      // that each met 100 waiting tasks (1,000 reads before).
      expect(bTarget.counts.read).toBeLessThanOrEqual(2);

      // The parent succeeds in the other process: the children become claimable within a second.
      await a.complete(parent.id, "wa");
      const start = Date.now();
      let claimed = await b.dequeue({ workerId: "wb" });
      while (claimed === null && Date.now() - start < 3_000) {
        await new Promise((r) => setTimeout(r, 50));
        claimed = await b.dequeue({ workerId: "wb" });
      }
      expect(claimed).not.toBeNull();
      expect(children.map((t) => t.id)).toContain(claimed!.id);
      expect(Date.now() - start).toBeLessThan(2_500);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("a long run of tasks waiting on a dependency", () => {
  it("does not hide a due task behind it from another process, and is not read again", async () => {
    // Pages of 100: the 250 waiting tasks fill two and a half of them.
    const { a, b, bTarget, parent } = await runningParent("dep-run", 100);
    try {
      await a.enqueueMany(
        Array.from({ length: 250 }, (_, i) => ({
          name: "child",
          args: [i],
          dependsOn: [parent.id],
        })),
      );
      const free = await a.enqueue({ name: "free" });
      const other = await a.enqueue({ name: "free" });

      bTarget.reset();
      // (Either of the two: after meeting a's lease first, claims pick among the next few.)
      // b's first listing stops at a's lease, which it cannot tell from a free task by its
      // name; the next one goes past the waiting tasks. A worker polls again the same way.
      const first = (await b.dequeue({ workerId: "wb" })) ?? (await b.dequeue({ workerId: "wb" }));
      expect([free.id, other.id]).toContain(first?.id);
      // b read each waiting task's file once (it did not enqueue them), a's lease, the parent
      // (record and lease file) and the free tasks it tried.
      expect(bTarget.counts.read).toBeLessThanOrEqual(250 + 1 + 2 + 2);

      // Met again in the next claim's listing: no read of the waiting tasks again.
      bTarget.reset();
      const second = await b.dequeue({ workerId: "wb" });
      expect([free.id, other.id].filter((id) => id !== first?.id)).toEqual([second?.id]);
      // (Up to 7 waiting tasks the first claim left untried, when its random pick among the
      // next 8 reached a free task first, are read now, plus the other free task and the parent.)
      expect(bTarget.counts.read).toBeLessThanOrEqual(7 + 1 + 2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("a run of waiting tasks longer than one listing", () => {
  it("is passed over across listings on memory, so a due task behind it is claimed", async () => {
    const name = uniqueName("dep-long-run");
    await longWaitingRunCase(() => new MemoryTarget({ name }));
  });

  it("is passed over across listings on local disk", async () => {
    const dir = tempDir("dep-long-run");
    await longWaitingRunCase(() => new LocalTarget({ baseDir: dir }));
  });
});
