import { join } from "node:path";
import { AsyncOmniQ } from "@omniq/core";
import { AsyncSQLiteQueue } from "@omniq/sqlite";
import { removeDb } from "../env.js";
import { noopDrainMs } from "./noop-drain.js";
import type { RuntimeImpl } from "./runtime-impl.js";

const dbPath = (dir: string, runId: string) => join(dir, `omniq-${runId}.db`);

/**
 * OmniQ: `AsyncOmniQ` on an `AsyncSQLiteQueue` file (no result or event storage), a no-op task,
 * `omniq.worker({ concurrency })` with its defaults.
 */
export const omniqRuntime: RuntimeImpl = {
  key: "omniq",
  name: "OmniQ (SQLite)",
  available: async () => null,
  throughputNote: (c) => `worker({ concurrency: ${c} }).runUntilIdle()`,
  latencyNote:
    "worker defaults (in-process wake; across processes a WAL file watch, polling as fallback)",
  async drain(ctx, n, concurrency) {
    const path = dbPath(ctx.dir, ctx.runId);
    const omniq = new AsyncOmniQ({ queue: new AsyncSQLiteQueue({ path }) });
    try {
      return await noopDrainMs(omniq, n, concurrency);
    } finally {
      await omniq.close();
      removeDb(path);
    }
  },
  async teardown(ctx) {
    removeDb(dbPath(ctx.dir, ctx.runId));
  },
  async open(ctx, role) {
    const omniq = new AsyncOmniQ({
      queue: new AsyncSQLiteQueue({ path: dbPath(ctx.dir, ctx.runId) }),
    });
    omniq.task("noop", (i: number) => {
      role.onStart?.(i);
    });
    await omniq.queue.count();
    if (role.worker) await omniq.worker().start();
    return {
      enqueue: (i) => omniq.enqueue("noop", [i]),
      close: () => omniq.close(),
    };
  },
};
