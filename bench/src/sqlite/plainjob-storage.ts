import Database from "better-sqlite3";
import { better, defineQueue } from "plainjob";
import { silentLogger } from "../env.js";
import type { StorageHandle, StorageImpl } from "./storage-impl.js";

/**
 * plainjob 0.0.14 through its queue API, the lowest level it has: `add`, `addMany`, and for a
 * claim `getAndMarkJobAsProcessing` + `getJobById` (its worker does exactly this to get the
 * payload) + `markJobAsDone`. It has no batch claim.
 */
export const plainjobStorage: StorageImpl = {
  key: "plainjob",
  name: "plainjob 0.0.14",
  claimNote: "getAndMarkJobAsProcessing + getJobById + markJobAsDone",
  bulkNote: "addMany() × 1000",
  async open(path: string): Promise<StorageHandle> {
    const queue = defineQueue({ connection: better(new Database(path)), logger: silentLogger });
    const many = (from: number, count: number) =>
      queue.addMany(
        "bench",
        Array.from({ length: count }, (_, j) => [from + j]),
      );
    return {
      enqueueOne(i) {
        queue.add("bench", [i]);
      },
      enqueueBulk: many,
      claimCompleteOne() {
        const claimed = queue.getAndMarkJobAsProcessing("bench");
        if (!claimed) return false;
        queue.getJobById(claimed.id);
        queue.markJobAsDone(claimed.id);
        return true;
      },
      async prefill(n) {
        for (let i = 0; i < n; i += 1000) many(i, Math.min(1000, n - i));
      },
      close() {
        queue.close();
      },
    };
  },
};
