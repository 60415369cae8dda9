import type { NewTask } from "@omniq/core";
import { AsyncSQLiteQueue } from "@omniq/sqlite";
import type { StorageHandle, StorageImpl } from "./storage-impl.js";

const LEASE_MS = 30_000;

const task = (i: number): NewTask => ({ name: "bench", args: [i] });

/** OmniQ's `AsyncSQLiteQueue`, through its public queue API. */
export const omniqStorage: StorageImpl = {
  key: "omniq",
  name: "OmniQ AsyncSQLiteQueue",
  claimNote: "dequeue() + complete()",
  bulkNote: "enqueueMany() × 1000",
  batchNote: "dequeueMany(100) + completeMany()",
  async open(path: string): Promise<StorageHandle> {
    const queue = new AsyncSQLiteQueue({ path });
    await queue.init();
    const workerId = `omniq-${process.pid}`;
    const many = (from: number, count: number) =>
      queue.enqueueMany(Array.from({ length: count }, (_, j) => task(from + j)));
    return {
      enqueueOne: (i) => queue.enqueue(task(i)),
      enqueueBulk: many,
      async claimCompleteOne() {
        const t = await queue.dequeue({ workerId, leaseMs: LEASE_MS });
        if (!t) return false;
        await queue.complete(t.id, workerId);
        return true;
      },
      async claimCompleteBatch(limit) {
        const tasks = await queue.dequeueMany({ workerId, leaseMs: LEASE_MS, limit });
        if (tasks.length > 0) await queue.completeMany(tasks.map((t) => ({ id: t.id, workerId })));
        return tasks.length;
      },
      async prefill(n) {
        for (let i = 0; i < n; i += 1000) await many(i, Math.min(1000, n - i));
      },
      close: () => queue.close(),
    };
  },
};
