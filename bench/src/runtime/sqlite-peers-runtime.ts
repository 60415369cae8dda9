import { join } from "node:path";
import { buildDBClient, Runner, SqliteQueue } from "@omniq/bench-liteque-peer";
import Database from "better-sqlite3";
import { better, defineQueue, defineWorker, type Queue } from "plainjob";
import { removeDb, silentLogger } from "../env.js";
import { Countdown, indexOf, type RuntimeImpl } from "./runtime-impl.js";

/** Poll interval given to the polling peers (their defaults: plainjob 1000 ms, liteque 1000 ms). */
export const PEER_POLL_MS = 5;

const plainjobPath = (dir: string, runId: string) => join(dir, `plainjob-${runId}.db`);
const litequePath = (dir: string, runId: string) => join(dir, `liteque-${runId}.db`);

function plainjobQueue(path: string): Queue {
  return defineQueue({ connection: better(new Database(path)), logger: silentLogger });
}

/**
 * plainjob: its worker claims one job at a time, so concurrency N is N `defineWorker`s on
 * one queue in the process; `pollIntervall` 5 ms.
 */
export const plainjobRuntime: RuntimeImpl = {
  key: "plainjob",
  name: "plainjob 0.0.14",
  available: async () => null,
  throughputNote: (c) =>
    c === 1 ? "1 defineWorker, poll 5 ms" : `${c} defineWorkers on one queue, poll 5 ms`,
  latencyNote: "defineWorker, pollIntervall 5 ms (default 1000)",
  async drain(ctx, n, concurrency) {
    const path = plainjobPath(ctx.dir, ctx.runId);
    const queue = plainjobQueue(path);
    try {
      for (let i = 0; i < n; i += 1000) {
        queue.addMany(
          "noop",
          Array.from({ length: Math.min(1000, n - i) }, (_, j) => [i + j]),
        );
      }
      const left = new Countdown(n);
      const t0 = performance.now();
      const workers = Array.from({ length: concurrency }, () =>
        defineWorker("noop", async () => {}, {
          queue,
          pollIntervall: PEER_POLL_MS,
          logger: silentLogger,
          onCompleted: () => left.tick(),
        }),
      );
      for (const w of workers) void w.start();
      await left.done;
      const ms = performance.now() - t0;
      await Promise.all(workers.map((w) => w.stop()));
      return ms;
    } finally {
      queue.close();
      removeDb(path);
    }
  },
  async setup(ctx) {
    plainjobQueue(plainjobPath(ctx.dir, ctx.runId)).close();
  },
  async teardown(ctx) {
    removeDb(plainjobPath(ctx.dir, ctx.runId));
  },
  async open(ctx, role) {
    const queue = plainjobQueue(plainjobPath(ctx.dir, ctx.runId));
    const worker = role.worker
      ? defineWorker(
          "noop",
          (job) => {
            role.onStart?.(indexOf(job.data));
          },
          { queue, pollIntervall: PEER_POLL_MS, logger: silentLogger },
        )
      : undefined;
    void worker?.start();
    return {
      enqueue: async (i) => queue.add("noop", [i]),
      async close() {
        await worker?.stop();
        queue.close();
      },
    };
  },
};

interface LitequeDb {
  session: { client: { close(): void } };
}

function litequeQueue(path: string) {
  const db = buildDBClient(path, { runMigrations: true });
  const queue = new SqliteQueue<number[]>("default", db, {
    defaultJobArgs: { numRetries: 3 },
    keepFailedJobs: false,
  });
  const close = () => (db as unknown as LitequeDb).session.client.close();
  return { queue, close };
}

/** liteque: its `Runner` with `concurrency` and `pollIntervalMs` 5; drained with `runUntilEmpty()`. */
export const litequeRuntime: RuntimeImpl = {
  key: "liteque",
  name: "liteque 0.8.0",
  available: async () => null,
  throughputNote: (c) => `Runner({ concurrency: ${c}, pollIntervalMs: 5 }).runUntilEmpty()`,
  latencyNote: "Runner, pollIntervalMs 5 (README example: 1000)",
  async drain(ctx, n, concurrency) {
    const path = litequePath(ctx.dir, ctx.runId);
    const { queue, close } = litequeQueue(path);
    try {
      for (let i = 0; i < n; i++) await queue.enqueue([i]);
      const t0 = performance.now();
      const runner = new Runner<number[]>(
        queue,
        { run: async () => {} },
        { concurrency, pollIntervalMs: PEER_POLL_MS, timeoutSecs: 60 },
      );
      await runner.runUntilEmpty();
      const ms = performance.now() - t0;
      const stats = await queue.stats();
      if (stats.pending + stats.running + stats.pending_retry > 0) {
        throw new Error(`liteque left ${JSON.stringify(stats)}`);
      }
      return ms;
    } finally {
      close();
      removeDb(path);
    }
  },
  async setup(ctx) {
    litequeQueue(litequePath(ctx.dir, ctx.runId)).close();
  },
  async teardown(ctx) {
    removeDb(litequePath(ctx.dir, ctx.runId));
  },
  async open(ctx, role) {
    const { queue, close } = litequeQueue(litequePath(ctx.dir, ctx.runId));
    let runner: Runner<number[]> | undefined;
    let running: Promise<void> | undefined;
    if (role.worker) {
      runner = new Runner<number[]>(
        queue,
        {
          run: async (job) => {
            role.onStart?.(indexOf(job.data));
          },
        },
        { concurrency: 1, pollIntervalMs: PEER_POLL_MS, timeoutSecs: 60 },
      );
      running = runner.run();
    }
    return {
      enqueue: (i) => queue.enqueue([i]),
      async close() {
        runner?.stop();
        await running;
        close();
      },
    };
  },
};
