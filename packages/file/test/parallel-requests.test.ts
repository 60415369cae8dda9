/**
 * Claims and completions of several tasks keep several conditional writes in flight (on an
 * object store each is a round trip), in order and at most 16 at a time. The target below is
 * the memory target with every conditional write held back for a few milliseconds, so that
 * writes issued together overlap; it counts how many were in flight at once.
 */
import { ValidationError } from "@omniq/core";
import { describe, expect, it } from "vitest";
import {
  AsyncFileQueue,
  AsyncFileResultStorage,
  CountingTarget,
  MemoryTarget,
} from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class SlowSwaps extends CountingTarget {
  inFlight = 0;
  maxInFlight = 0;

  async #held<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(3);
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  override writeIfVersion(key: string, data: Uint8Array, version: string) {
    return this.#held(() => super.writeIfVersion(key, data, version));
  }

  override reset() {
    this.maxInFlight = 0;
    return super.reset();
  }
}

describe("several claims and completions at once", () => {
  it("dequeueMany claims in parallel (≤ 16 at a time) and returns tasks in dequeue order", async () => {
    const target = new SlowSwaps(new MemoryTarget({ name: uniqueName("par") }));
    const queue = new AsyncFileQueue({ target });
    try {
      // Priorities 0..39 enqueued lowest first: dequeue order is the reverse.
      for (let i = 0; i < 40; i++) await queue.enqueue({ name: "t", args: [i], priority: i });
      target.reset();
      const claimed = await queue.dequeueMany({ workerId: "w", limit: 40 });
      expect(claimed.map((t) => t.args[0])).toEqual(Array.from({ length: 40 }, (_, i) => 39 - i));
      expect(claimed.every((t) => t.status === "running" && t.attempts === 1)).toBe(true);
      expect(target.maxInFlight).toBeGreaterThan(1);
      expect(target.maxInFlight).toBeLessThanOrEqual(16);
      expect(target.counts.writeIfVersion).toBe(40);
      // Nothing is left to claim, and nothing was claimed twice.
      expect(await queue.dequeue({ workerId: "w2" })).toBeNull();
      expect(new Set(claimed.map((t) => t.id)).size).toBe(40);
    } finally {
      await queue.close();
    }
  });

  it("stops at the limit even when many candidates are due", async () => {
    const target = new SlowSwaps(new MemoryTarget({ name: uniqueName("par") }));
    const queue = new AsyncFileQueue({ target });
    try {
      for (let i = 0; i < 30; i++) await queue.enqueue({ name: "t", args: [i] });
      const first = await queue.dequeueMany({ workerId: "w", limit: 7 });
      expect(first.map((t) => t.args[0])).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(await queue.count({ statuses: ["running"] })).toBe(7);
      expect(await queue.count({ statuses: ["pending"] })).toBe(23);
    } finally {
      await queue.close();
    }
  });

  it("completeMany completes in parallel, in input order, with null for a lost lease", async () => {
    const target = new SlowSwaps(new MemoryTarget({ name: uniqueName("par") }));
    const queue = new AsyncFileQueue({ target });
    try {
      for (let i = 0; i < 40; i++) await queue.enqueue({ name: "t", args: [i] });
      const claimed = await queue.dequeueMany({ workerId: "w", limit: 40 });
      target.reset();
      const items = claimed.map((t, i) => ({
        id: t.id,
        workerId: i === 5 ? "not-the-owner" : "w",
      }));
      const done = await queue.completeMany(items);
      expect(done).toHaveLength(40);
      expect(done[5]).toBeNull();
      done.forEach((t, i) => {
        if (i === 5) return;
        expect(t?.id).toBe(claimed[i]!.id);
        expect(t?.status).toBe("success");
      });
      expect(target.maxInFlight).toBeGreaterThan(1);
      expect(target.maxInFlight).toBeLessThanOrEqual(16);
      expect((await queue.get(claimed[5]!.id))?.status).toBe("running");
    } finally {
      await queue.close();
    }
  });

  it("requestConcurrency bounds the requests in flight (1: one by one)", async () => {
    for (const requestConcurrency of [1, 4]) {
      const target = new SlowSwaps(new MemoryTarget({ name: uniqueName("par") }));
      const queue = new AsyncFileQueue({ target, requestConcurrency });
      try {
        for (let i = 0; i < 20; i++) await queue.enqueue({ name: "t", args: [i] });
        target.reset();
        const claimed = await queue.dequeueMany({ workerId: "w", limit: 20 });
        expect(claimed.map((t) => t.args[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
        const done = await queue.completeMany(claimed.map((t) => ({ id: t.id, workerId: "w" })));
        expect(done.every((t) => t?.status === "success")).toBe(true);
        expect(target.maxInFlight).toBe(requestConcurrency);
      } finally {
        await queue.close();
      }
    }
  });

  it("rejects a requestConcurrency, pageSize or listCacheMs out of range, naming it", () => {
    const target = new MemoryTarget();
    const bad = [
      [{ requestConcurrency: 0 }, "requestConcurrency"],
      [{ requestConcurrency: 1.5 }, "requestConcurrency"],
      [{ requestConcurrency: 1000 }, "requestConcurrency"],
      [{ pageSize: 0 }, "pageSize"],
      [{ pageSize: 5000 }, "pageSize"],
      [{ listCacheMs: -1 }, "listCacheMs"],
    ] as const;
    for (const [options, field] of bad) {
      let err: unknown;
      try {
        new AsyncFileQueue({ target, ...options });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
      expect((err as Error).message).toContain(field);
    }
  });

  it("a claim whose request fails: the others are returned; alone, its error is thrown", async () => {
    class FailOne extends SlowSwaps {
      failing: string | null = null;
      override writeIfVersion(key: string, data: Uint8Array, version: string) {
        if (this.failing !== null && key.endsWith(`!${this.failing}.json`)) {
          return Promise.reject(new Error("store refused the write"));
        }
        return super.writeIfVersion(key, data, version);
      }
    }
    const target = new FailOne(new MemoryTarget({ name: uniqueName("par") }));
    const queue = new AsyncFileQueue({ target, listCacheMs: 0 });
    try {
      const tasks = [];
      for (let i = 0; i < 5; i++) tasks.push(await queue.enqueue({ name: "t", args: [i] }));
      target.failing = tasks[2]!.id;
      const claimed = await queue.dequeueMany({ workerId: "w", limit: 5 });
      expect(claimed.map((t) => t.args[0])).toEqual([0, 1, 3, 4]);
      // Alone, the failure is the caller's to see; the task is still pending, not lost.
      await expect(queue.dequeue({ workerId: "w" })).rejects.toThrow("store refused the write");
      expect((await queue.get(tasks[2]!.id))?.status).toBe("pending");
      target.failing = null;
      expect((await queue.dequeue({ workerId: "w" }))?.id).toBe(tasks[2]!.id);
    } finally {
      await queue.close();
    }
  });

  it("completeMany with the same task twice: one completion with its result, then null", async () => {
    const target = new SlowSwaps(new MemoryTarget({ name: uniqueName("par") }));
    const queue = new AsyncFileQueue({ target });
    const results = new AsyncFileResultStorage({ target });
    try {
      await queue.enqueue({ name: "t", args: [1] });
      const [t] = await queue.dequeueMany({ workerId: "w", limit: 1 });
      const result = {
        taskId: t!.id,
        status: "success" as const,
        value: 42,
        attempts: 1,
        startedAt: t!.startedAt,
        finishedAt: new Date(),
        durationMs: 0,
        workerId: "w",
        expiresAt: null,
      };
      const done = await queue.completeMany([
        { id: t!.id, workerId: "w", result },
        { id: t!.id, workerId: "w", result },
      ]);
      expect(done[0]?.status).toBe("success");
      expect(done[1]).toBeNull();
      expect((await results.get(t!.id))?.value).toBe(42);
    } finally {
      await queue.close();
      await results.close();
    }
  });

  it("count and list read the task files in parallel (≤ 16 at a time)", async () => {
    class SlowReads extends CountingTarget {
      inFlight = 0;
      maxInFlight = 0;
      override async read(key: string) {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          await sleep(3);
          return await super.read(key);
        } finally {
          this.inFlight--;
        }
      }
    }
    const memory = new MemoryTarget({ name: uniqueName("par") });
    const writer = new AsyncFileQueue({ target: memory });
    // Another id: nothing cached from the writer, as in another process.
    const view = asAnotherProcess(new SlowReads(memory), "reader");
    const reader = new AsyncFileQueue({ target: view });
    try {
      for (let i = 0; i < 40; i++) await writer.enqueue({ name: "t", args: [i] });
      expect(await reader.count({ statuses: ["pending"] })).toBe(40);
      expect(view.counts.read).toBeGreaterThanOrEqual(40);
      expect(view.maxInFlight).toBeGreaterThan(1);
      expect(view.maxInFlight).toBeLessThanOrEqual(16);
      const page = await reader.list({ limit: 100 });
      expect(page.items.map((t) => t.args[0])).toEqual(Array.from({ length: 40 }, (_, i) => i));
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});
