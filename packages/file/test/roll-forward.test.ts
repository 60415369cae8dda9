/**
 * A task whose record went back to pending (release, retry, recovery) in a process that died
 * before it wrote the task's new pending file: the record swap and the new file are two
 * requests, so a SIGKILL (or a lost connection) between them left the task `pending` with no
 * file any claimer lists, for good. Found by the chaos test on S3 (chaos.test.ts). The
 * expired-lease sweep now finds it through the old lease file and publishes it again
 * (`TaskStore.rollForward`).
 */
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, CountingTarget, MemoryTarget } from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

/** A process view whose requests creating a pending file fail once `dead` is set. */
class DyingTarget extends CountingTarget {
  dead = false;
  override writeIfAbsent(key: string, data: Uint8Array): Promise<string | null> {
    if (this.dead && key.includes("/pending/")) throw new Error("process killed");
    return super.writeIfAbsent(key, data);
  }
  override write(key: string, data: Uint8Array): Promise<string> {
    if (this.dead && key.includes("/pending/")) throw new Error("process killed");
    return super.write(key, data);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` with `Date.now()` moved `ms` ahead: a half-done change is finished by another
 * process only 30 s after it (HALF_DONE_MS), when its own process cannot still be on its way.
 */
async function later<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => realNow() + ms;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

/** One memory store seen by two processes, a and b; either can be made to die. */
function twoProcesses() {
  const memory = new MemoryTarget({ name: uniqueName("roll") });
  const aTarget = asAnotherProcess(new DyingTarget(memory), "a");
  const bTarget = asAnotherProcess(new DyingTarget(memory), "b");
  const a = new AsyncFileQueue({ target: aTarget, listCacheMs: 0 });
  const b = new AsyncFileQueue({ target: bTarget, listCacheMs: 0 });
  return { memory, aTarget, bTarget, a, b };
}

describe("roll-forward of a return to pending cut off half-way", () => {
  it("another process's lease sweep publishes the task again, and it is claimed and completed once", async () => {
    const { memory, aTarget, a, b } = twoProcesses();
    try {
      const task = await a.enqueue({ name: "t" });
      expect(await a.dequeue({ workerId: "wa", leaseMs: 100 })).toMatchObject({ id: task.id });

      // a gives the task back, and dies between the record swap and the new pending file.
      aTarget.dead = true;
      await expect(a.release(task.id, "wa")).rejects.toThrow("process killed");
      const record = await memory.readText(`tasks/${task.id}.json`);
      expect(JSON.parse(record!.text)).toMatchObject({ status: "pending", workerId: null });
      expect(await b.dequeue({ workerId: "wb" })).toBeNull(); // no file any claimer lists

      // a's old lease has run out, but a's change is recent: it may still be on its way, so
      // b's sweep leaves the old file (the only trace) alone...
      await sleep(150);
      expect(await b.recoverExpiredLeases()).toEqual([]); // nothing running to recover
      expect(await b.dequeue({ workerId: "wb" })).toBeNull();
      expect((await memory.list({ prefix: "queues/default/pending/" })).entries).toHaveLength(1);
      // ...and 30 s on, finds the task through it and publishes it again (a read of the task
      // would too: see the next test).
      expect(await later(31_000, () => b.recoverExpiredLeases(new Date(Date.now())))).toEqual([]);
      const again = await b.dequeue({ workerId: "wb" });
      expect(again).toMatchObject({ id: task.id, status: "running", workerId: "wb" });
      expect(await b.complete(task.id, "wb")).toMatchObject({ status: "success" });
      expect(await b.dequeue({ workerId: "wb" })).toBeNull();
      await b.recoverExpiredLeases();
      expect(await b.dequeue({ workerId: "wb" })).toBeNull();
      expect(await b.count()).toBe(1);
      // The old lease file is gone; the roll-forward's blocker stays 30 s (see rollForward),
      // then the sweep deletes it.
      await b.close();
      const left = await memory.list({ prefix: "queues/default/pending/" });
      expect(left.entries).toHaveLength(1);
      const c = new AsyncFileQueue({ target: asAnotherProcess(new CountingTarget(memory), "c") });
      await later(62_000, () => c.recoverExpiredLeases(new Date(Date.now())));
      await c.close();
      expect((await memory.list({ prefix: "queues/default/pending/" })).entries).toEqual([]);
    } finally {
      await a.close().catch(() => undefined);
      await b.close();
    }
  });

  it("an enqueue cut off between the record and the pending file is published by the next read of the task", async () => {
    const { aTarget, a, b } = twoProcesses();
    try {
      aTarget.dead = true;
      await expect(a.enqueue({ id: "cut-off", name: "t" })).rejects.toThrow("process killed");
      expect(await b.dequeue({ workerId: "wb" })).toBeNull(); // no file any claimer lists
      // A read of the task from any process (here: b re-enqueueing the same id, as a caller
      // retrying a failed enqueue does) publishes it, once a's change is 30 s old; it keeps
      // its id and place in line.
      expect(await b.enqueue({ id: "cut-off", name: "t" })).toMatchObject({ status: "pending" });
      expect(await b.dequeue({ workerId: "wb" })).toBeNull(); // too recent: a may be on its way
      expect(await later(31_000, () => b.enqueue({ id: "cut-off", name: "t" }))).toMatchObject({
        id: "cut-off",
        status: "pending",
      });
      expect(await b.dequeue({ workerId: "wb" })).toMatchObject({ id: "cut-off", attempts: 1 });
      expect(await b.complete("cut-off", "wb")).toMatchObject({ status: "success" });
      expect(await b.dequeue({ workerId: "wb" })).toBeNull();
    } finally {
      await a.close().catch(() => undefined);
      await b.close();
    }
  });

  it("a roll-forward cut off after taking the name leaves a blocker that the sweep clears, publishing the task", async () => {
    const { memory, aTarget, bTarget, a, b } = twoProcesses();
    const c = new AsyncFileQueue({
      target: asAnotherProcess(new CountingTarget(memory), "c"),
      listCacheMs: 0,
    });
    try {
      const task = await a.enqueue({ name: "t" });
      await a.dequeue({ workerId: "wa", leaseMs: 100 });
      aTarget.dead = true;
      await expect(a.release(task.id, "wa")).rejects.toThrow("process killed");
      // b's get takes the missing name with a blocker, then dies before moving the record.
      const swap = bTarget.writeIfVersion.bind(bTarget);
      bTarget.writeIfVersion = () => Promise.reject(new Error("process killed"));
      await expect(later(31_000, () => b.get(task.id))).rejects.toThrow("process killed");
      bTarget.writeIfVersion = swap;
      const blockers = (await memory.list({ prefix: "queues/default/pending/" })).entries;
      expect(blockers.length).toBeGreaterThanOrEqual(1);
      expect(await c.dequeue({ workerId: "wc" })).toBeNull();

      // The blocker is never claimed; the sweep, 30 s after the blocker was made, clears it
      // and publishes the task.
      await later(62_000, () => c.recoverExpiredLeases(new Date(Date.now())));
      const got = await c.dequeue({ workerId: "wc" });
      expect(got).toMatchObject({ id: task.id, workerId: "wc" });
      expect(await c.complete(task.id, "wc")).toMatchObject({ status: "success" });
    } finally {
      await a.close().catch(() => undefined);
      await b.close().catch(() => undefined);
      await c.close();
    }
  });

  it("does nothing when the pending file is there (the usual case: a recovery not yet cleaned up)", async () => {
    const { bTarget, a, b } = twoProcesses();
    try {
      const task = await a.enqueue({ name: "t" });
      await a.dequeue({ workerId: "wa", leaseMs: 30_000 });
      await a.release(task.id, "wa"); // new pending file written; the old lease is deleted
      await sleep(5);
      expect(await b.recoverExpiredLeases()).toEqual([]);
      expect(bTarget.counts.writeIfVersion).toBe(0); // no record swap
      const got = await b.dequeue({ workerId: "wb" });
      expect(got).toMatchObject({ id: task.id, attempts: 1 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
