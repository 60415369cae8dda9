/**
 * A task blocked on a dependency does not cost a read of that dependency on every claim: a
 * dependency read as not done is trusted for a second (claims running at once share one read),
 * and a task whose dependency succeeded in another process is claimable after at most that.
 */
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, CountingTarget, MemoryTarget } from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

describe("claims of tasks waiting on a dependency", () => {
  it("read a running dependency once a second, not once per waiting task per claim", async () => {
    const memory = new MemoryTarget({ name: uniqueName("dep-reads") });
    const a = new AsyncFileQueue({ target: asAnotherProcess(new CountingTarget(memory), "a") });
    const bTarget = new CountingTarget(memory);
    // listCacheMs 0: every claim lists again and meets every waiting task again.
    const b = new AsyncFileQueue({ target: asAnotherProcess(bTarget, "b"), listCacheMs: 0 });
    try {
      const parent = await a.enqueue({ name: "parent" });
      expect((await a.dequeue({ workerId: "wa", leaseMs: 60_000 }))?.id).toBe(parent.id);
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
