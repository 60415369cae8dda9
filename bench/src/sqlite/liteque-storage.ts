import { buildDBClient, SqliteQueue } from "@omniq/bench-liteque-peer";
import type { StorageHandle, StorageImpl } from "./storage-impl.js";

/** The better-sqlite3 connection under liteque's drizzle client (drizzle keeps it on `session.client`). */
interface WithClient {
  session: { client: { close(): void } };
}

/**
 * liteque 0.8 through its queue API: `enqueue`, and for a claim `attemptDequeue` +
 * `finalize(…, "completed")` (what its Runner calls; completing deletes the row). It has no
 * bulk enqueue and no batch claim.
 */
export const litequeStorage: StorageImpl = {
  key: "liteque",
  name: "liteque 0.8.0",
  claimNote: "attemptDequeue + finalize(completed)",
  async open(path: string): Promise<StorageHandle> {
    const db = buildDBClient(path, { runMigrations: true });
    const queue = new SqliteQueue<number[]>("default", db, {
      defaultJobArgs: { numRetries: 3 },
      keepFailedJobs: false,
    });
    return {
      enqueueOne: (i) => queue.enqueue([i]),
      async claimCompleteOne() {
        const job = await queue.attemptDequeue({ timeoutSecs: 30 });
        if (!job) return false;
        await queue.finalize(job.id, job.allocationId, "completed");
        return true;
      },
      async prefill(n) {
        for (let i = 0; i < n; i++) await queue.enqueue([i]);
      },
      close() {
        (db as unknown as WithClient).session.client.close();
      },
    };
  },
};
