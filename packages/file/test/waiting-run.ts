/**
 * A run of tasks waiting on a dependency that is longer than one listing can read
 * (`MAX_LISTS` pages) must not hide a due task behind it from another process. Shared by the
 * memory and local-disk tests and the cloud targets' cases (each store lists, and resumes a
 * listing, its own way: a cursor of its own kind).
 */
import { expect } from "vitest";
import { AsyncFileQueue, CountingTarget } from "../src/index.js";
import { MAX_LISTS } from "../src/internal/pending-page.js";
import type { StorageTarget } from "../src/targets/storage-target.js";
import { asAnotherProcess } from "./helpers.js";

/** `store()` gives a fresh view of one and the same store each call. */
export async function longWaitingRunCase(store: () => StorageTarget): Promise<void> {
  // Pages of 1: one listing reads at most MAX_LISTS tasks; the run is 20 longer.
  const aTarget = store();
  const bInner = store();
  const a = new AsyncFileQueue({ target: asAnotherProcess(aTarget, "a") });
  const bTarget = new CountingTarget(bInner);
  const b = new AsyncFileQueue({
    target: asAnotherProcess(bTarget, "b"),
    listCacheMs: 0,
    pageSize: 1,
  });
  try {
    const parent = await a.enqueue({ name: "parent" });
    expect((await a.dequeue({ workerId: "wa", leaseMs: 60_000 }))?.id).toBe(parent.id);
    await a.enqueueMany(
      Array.from({ length: MAX_LISTS + 20 }, (_, i) => ({
        name: "child",
        args: [i],
        dependsOn: [parent.id],
      })),
    );
    const free = await a.enqueue({ name: "free" });

    let claimed = null;
    const lists: number[] = [];
    for (let i = 0; i < 6 && claimed === null; i++) {
      bTarget.reset();
      claimed = await b.dequeue({ workerId: "wb" });
      lists.push(bTarget.counts.list);
    }
    // Before, every listing stopped after the same MAX_LISTS pages and the task behind them
    // was never claimed. Now: the first claim meets a's lease (a candidate by its name), the
    // second stops inside the run, the third goes on from there.
    expect(claimed?.id).toBe(free.id);
    expect(lists.length).toBe(3);
    // No claim lists more than MAX_LISTS pages (the one that went on from the mark did not
    // list the run from its start again).
    expect(Math.max(...lists)).toBeLessThanOrEqual(MAX_LISTS);
  } finally {
    await a.close();
    await b.close();
    // Targets passed in are the caller's to close (on local disk this stops the spare-file
    // refill, which would otherwise race the removal of the directory).
    await aTarget.close();
    await bInner.close();
  }
}
