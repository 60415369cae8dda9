import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ClosedError } from "@omniq/core";
import { afterAll, describe, expect, it } from "vitest";
import { AsyncSQLiteQueue, SQLiteBackend } from "../src/index.js";
import { tempDir } from "./helpers.js";
import {
  readStarts,
  startWorker,
  stopWorker,
  type WorkerProcess,
  waitUntil,
} from "./fixtures/worker-process.js";

const { dir, file } = tempDir("omniq-sqlite-wakeup-");

describe("sqlite: watchChanges (another connection's writes)", () => {
  it("calls the listener when another connection commits, until unsubscribed", async () => {
    const path = file();
    await using watching = new AsyncSQLiteQueue({ path });
    await using writer = new AsyncSQLiteQueue({ path });
    await watching.init();
    await writer.init();
    await sleep(50); // let the events of opening the file pass
    let calls = 0;
    const off = watching.watchChanges(() => calls++);
    await writer.enqueue({ name: "ping" });
    await waitUntil(() => calls > 0, "a change notification", 2000);
    off();
    const seen = calls;
    await writer.enqueue({ name: "ping" });
    await sleep(100);
    expect(calls).toBe(seen);
  });

  it("makes one call per event-loop turn, however many commits landed in it", async () => {
    const path = file();
    await using watching = new AsyncSQLiteQueue({ path });
    await using writer = new AsyncSQLiteQueue({ path });
    await writer.init();
    await sleep(50);
    let calls = 0;
    const off = watching.watchChanges(() => calls++);
    // 100 commits without yielding to the event loop (each enqueue runs synchronously).
    for (let i = 0; i < 100; i++) await writer.enqueue({ name: "burst" });
    await sleep(100);
    off();
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(2);
  });

  it("stops on close, refuses a watch after close, and is a no-op on :memory:", async () => {
    const path = file();
    const watching = new AsyncSQLiteQueue({ path });
    await using writer = new AsyncSQLiteQueue({ path });
    await watching.init();
    let calls = 0;
    watching.watchChanges(() => calls++);
    await watching.close();
    await writer.enqueue({ name: "after-close" });
    await sleep(100);
    expect(calls).toBe(0);
    expect(() => watching.watchChanges(() => undefined)).toThrow(ClosedError);

    await using backend = new SQLiteBackend({ path: ":memory:" });
    const memory = backend.queue();
    let memoryCalls = 0;
    const off = memory.watchChanges(() => memoryCalls++);
    await memory.enqueue({ name: "in-memory" });
    await sleep(50);
    off();
    expect(memoryCalls).toBe(0);
  });

  it("sees the -wal file created after the watch began", async () => {
    const path = file();
    // Watching starts before the database (and its -wal file) exists.
    await using watching = new AsyncSQLiteQueue({ path });
    let calls = 0;
    const off = watching.watchChanges(() => calls++);
    await using writer = new AsyncSQLiteQueue({ path });
    await writer.init();
    await sleep(50);
    calls = 0;
    await writer.enqueue({ name: "late" });
    await waitUntil(() => calls > 0, "a change notification", 2000);
    off();
  });
});

describe("sqlite: cross-process wake-up of an idle worker", () => {
  const workers: WorkerProcess[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, "SIGKILL")));
  });

  /** Starts an idle worker polling every 5 s, enqueues from this process, returns the enqueue→start ms. */
  async function enqueueToStart(watch: boolean): Promise<number> {
    const path = file(`wake-${watch}.db`);
    const logDir = join(dir, `starts-${watch}`);
    mkdirSync(logDir);
    await using queue = new AsyncSQLiteQueue({ path });
    await queue.init();
    const worker = startWorker({
      path,
      logDir,
      task: "wake.job",
      watch,
      // After its first (empty) claim the worker would sleep 5 s before claiming again.
      worker: { pollIntervalMs: { min: 5000, max: 5000 } },
    });
    workers.push(worker);
    await worker.ready;
    await sleep(300); // well inside the 5 s poll wait
    const enqueuedAt = performance.timeOrigin + performance.now();
    const task = await queue.enqueue({ name: "wake.job" });
    await waitUntil(
      async () => (await queue.get(task.id))?.status === "success",
      `task ${task.id} (watch: ${watch}) to run`,
      8000,
    );
    await stopWorker(worker);
    const [start] = readStarts(logDir);
    return start!.at - enqueuedAt;
  }

  it("a worker in another process claims a new task at once, not at its next poll", async () => {
    // The control (the queue's watchChanges removed) shows what polling alone gives.
    const [watched, polled] = await Promise.all([enqueueToStart(true), enqueueToStart(false)]);
    console.log(
      `sqlite wake-up: enqueue→start in another process ${watched.toFixed(1)} ms with watchChanges, ` +
        `${polled.toFixed(0)} ms polling only (pollIntervalMs 5000)`,
    );
    expect(watched).toBeLessThan(2000);
    expect(polled).toBeGreaterThan(3000);
  }, 20_000);
});
