/**
 * What an idle worker lists, per second, on an object store: the maintenance sweep asks for
 * the queues twice (expired leases, TTLs) and the schedule check reads the schedules twice
 * (the due ones, then all). One listing of the queue markers now serves 10 s, and one of the
 * schedules 500 ms, while this process's own changes are seen at once. The sweep does not
 * list a queue's pending files again when a claim has just found none there at all, and lists
 * the TTL markers again only when one of those it saw falls due, after 10 s, or after an
 * enqueue with a TTL here.
 */
import { describe, expect, it, vi } from "vitest";
import { AsyncFileQueue, CountingTarget, MemoryTarget } from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

class ListsByPrefix extends CountingTarget {
  byPrefix: Record<string, number> = {};
  override list(options: Parameters<CountingTarget["list"]>[0]) {
    this.byPrefix[options.prefix] = (this.byPrefix[options.prefix] ?? 0) + 1;
    return super.list(options);
  }
}

/** This process's queue (its listings counted by prefix) and another process's, on one store. */
function twoProcesses(options: { listCacheMs?: number } = {}) {
  const memory = new MemoryTarget({ name: uniqueName("idle") });
  const target = new ListsByPrefix(memory);
  const queue = new AsyncFileQueue({ target, ...options });
  const other = new AsyncFileQueue({
    target: asAnotherProcess(new CountingTarget(memory), "other"),
  });
  const close = async () => {
    await queue.close();
    await other.close();
  };
  return { target, queue, other, close };
}

describe("listings an idle worker repeats", () => {
  it("the queue markers are listed once for many sweeps; a queue claimed from is swept at once", async () => {
    // Another process (another id: nothing shared) makes queue "other" and leaves a lease
    // there that has run out.
    const { target, queue, other, close } = twoProcesses();
    try {
      for (let i = 0; i < 5; i++) expect(await queue.recoverExpiredLeases()).toEqual([]);
      expect(target.byPrefix["meta/queues/"]).toBe(1);

      await other.enqueue({ name: "t", queue: "other" });
      await other.dequeue({ workerId: "dead", queues: ["other"], leaseMs: 1 });
      await new Promise((r) => setTimeout(r, 5));
      // Not seen through the markers yet (listed less than 10 s ago)...
      expect(await queue.recoverExpiredLeases()).toEqual([]);
      // ...but a queue this process claims from is swept from then on.
      expect(await queue.dequeue({ workerId: "w", queues: ["other"] })).toBeNull();
      const recovered = await queue.recoverExpiredLeases();
      expect(recovered.map((t) => t.queue)).toEqual(["other"]);
      expect(target.byPrefix["meta/queues/"]).toBe(1);
    } finally {
      await close();
    }
  });

  it("the schedules are listed once per check, and again after a change made here", async () => {
    const target = new ListsByPrefix(new MemoryTarget({ name: uniqueName("idle") }));
    const queue = new AsyncFileQueue({ target });
    try {
      await queue.addSchedule({ id: "every-minute", name: "t", everyMs: 60_000 });
      target.byPrefix = {};
      // What a worker's schedule check does: the due ones, then all of them.
      expect(await queue.claimDueSchedules()).toEqual([]);
      expect(await queue.listSchedules()).toHaveLength(1);
      expect(target.byPrefix["schedules/"]).toBe(1);
      // A change made here is seen by the next read at once.
      await queue.pauseSchedule("every-minute");
      const [s] = await queue.listSchedules();
      expect(s?.status).toBe("paused");
      expect(target.byPrefix["schedules/"]).toBe(2);
      await queue.addSchedule({ id: "second", name: "t", everyMs: 60_000 });
      expect(await queue.listSchedules()).toHaveLength(2);
    } finally {
      await queue.close();
    }
  });

  it("the sweep trusts a claim's listing that has just found a queue empty", async () => {
    // listCacheMs 0: every poll lists, as a worker polling once a second does.
    const { target, queue, other, close } = twoProcesses({ listCacheMs: 0 });
    const pending = "queues/default/pending/";
    try {
      // An idle worker: a poll that finds nothing, then a sweep, three times: three listings.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 3)); // so that the listing is older than 0 ms
        expect(await queue.dequeue({ workerId: "w" })).toBeNull();
        expect(await queue.recoverExpiredLeases()).toEqual([]);
      }
      expect(target.byPrefix[pending]).toBe(3);

      // Another process claims a task and dies; its lease runs out. The next poll sees the
      // lease file (so the directory is not empty) and the sweep lists and recovers it.
      const t = await other.enqueue({ name: "t" });
      await other.dequeue({ workerId: "dead", leaseMs: 1 });
      await new Promise((r) => setTimeout(r, 5));
      target.byPrefix = {};
      expect(await queue.dequeue({ workerId: "w" })).toBeNull();
      const recovered = await queue.recoverExpiredLeases();
      expect(recovered.map((r) => r.id)).toEqual([t.id]);
      expect(target.byPrefix[pending]).toBe(2);

      // Without a fresh empty listing (none yet in this process for "q2"), the sweep lists.
      await other.enqueue({ name: "t", queue: "q2" });
      await other.dequeue({ workerId: "dead", queues: ["q2"], leaseMs: 1 });
      await new Promise((r) => setTimeout(r, 5));
      expect(await queue.dequeue({ workerId: "w", queues: ["q2"] })).toBeNull();
      expect((await queue.recoverExpiredLeases()).map((r) => r.queue)).toEqual(["q2"]);
    } finally {
      await close();
    }
  });

  it("the TTL markers are listed again once one it saw falls due, after an enqueue with a TTL here, or 10 s on", async () => {
    const { target, queue, other, close } = twoProcesses();
    const ttl = "queues/default/ttl/";
    try {
      expect(await queue.dequeue({ workerId: "w" })).toBeNull(); // a worker serving "default"
      for (let i = 0; i < 3; i++) expect(await queue.expireOverdue()).toEqual([]);
      expect(target.byPrefix[ttl]).toBe(1);

      // Another process enqueues a task that expires at once. This process's claims never
      // start it; its sweep marks it expired only once it lists the markers again.
      const theirs = await other.enqueue({ name: "t", expiresAt: new Date(Date.now() + 20) });
      await new Promise((r) => setTimeout(r, 30));
      expect(await queue.dequeue({ workerId: "w" })).toBeNull();
      expect(await queue.expireOverdue()).toEqual([]);
      expect(target.byPrefix[ttl]).toBe(1);

      // An enqueue with a TTL here: the next sweep lists, and finds both in time.
      const ours = await queue.enqueue({ name: "t", ttlMs: 10 });
      const later = new Date(Date.now() + 1000);
      const expired = await queue.expireOverdue(later);
      expect(expired.map((t) => t.id).sort()).toEqual([theirs.id, ours.id].sort());
      expect(expired.every((t) => t.status === "expired")).toBe(true);
      expect(target.byPrefix[ttl]).toBe(2);

      // The next sweep lists once more (the last one found due tasks) and clears their
      // markers; the one after trusts it.
      expect(await queue.expireOverdue()).toEqual([]);
      expect(await queue.expireOverdue()).toEqual([]);
      expect(target.byPrefix[ttl]).toBe(3);

      // A marker seen not yet due is trusted until it falls due, then listed again.
      const ours2 = await queue.enqueue({ name: "t", expiresAt: new Date(Date.now() + 30_000) });
      expect(await queue.expireOverdue()).toEqual([]); // lists: the first marker is due in 30 s
      expect(await queue.expireOverdue()).toEqual([]);
      expect(target.byPrefix[ttl]).toBe(4);
      const after = await queue.expireOverdue(new Date(Date.now() + 60_000));
      expect(after.map((t) => t.id)).toEqual([ours2.id]);
      expect(target.byPrefix[ttl]).toBe(5);

      // With none due, a listing is trusted for 10 s at most (another process may add one).
      expect(await queue.expireOverdue()).toEqual([]);
      expect(await queue.expireOverdue()).toEqual([]);
      expect(target.byPrefix[ttl]).toBe(6);
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 10_500 });
      expect(await queue.expireOverdue()).toEqual([]);
      expect(target.byPrefix[ttl]).toBe(7);
    } finally {
      vi.useRealTimers();
      await close();
    }
  });

  it("the schedules are listed again when one falls due, after a change made here, or 10 s on", async () => {
    const { target, queue, other, close } = twoProcesses();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // A worker's check, once a second: the due ones, then all of them (to know when to wake).
    const check = async () => {
      const fired = await queue.claimDueSchedules();
      await queue.listSchedules();
      return fired.map((f) => f.schedule.id);
    };
    try {
      await queue.addSchedule({ id: "soon", name: "t", at: new Date(Date.now() + 800) });
      target.byPrefix = {};
      expect(await check()).toEqual([]);
      await sleep(550); // older than the 500 ms a listing always serves, "soon" not yet due
      expect(await check()).toEqual([]);
      expect(target.byPrefix["schedules/"]).toBe(1);

      // "soon" falls due: the check lists again and fires it (its own change drops the
      // listing, so the second read of that check lists once more).
      await sleep(300);
      expect(await check()).toEqual(["soon"]);
      expect(target.byPrefix["schedules/"]).toBe(3);

      // Nothing due: the listing serves on. A schedule another process adds is not seen...
      await other.addSchedule({ id: "theirs", name: "t", at: new Date(Date.now() - 1) });
      expect(await check()).toEqual([]);
      expect(target.byPrefix["schedules/"]).toBe(3);
      // ...until 10 s after the listing.
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 10_500 });
      expect(await check()).toEqual(["theirs"]);
      expect(target.byPrefix["schedules/"]).toBe(5);
    } finally {
      vi.useRealTimers();
      await close();
    }
  });
});
