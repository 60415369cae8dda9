import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { AsyncSQLiteQueue } from "../src/index.js";
import { tempDir } from "./helpers.js";
import {
  readStarts,
  type Start,
  startWorker,
  stopWorker,
  type WorkerProcess,
  type WorkerProcessConfig,
} from "./fixtures/worker-process.js";

const { dir, file } = tempDir("omniq-sqlite-chaos-");

const TASKS = 5000;
const PROCESSES = 4;
const KILL_EVERY_MS = 300;
/** The test fails (and reports how far it got) if the work is not done by then. */
const DEADLINE_MS = 45_000;

describe("sqlite: chaos (worker processes SIGKILLed while running tasks)", () => {
  const live = new Set<WorkerProcess>();
  afterAll(async () => {
    await Promise.all([...live].map((w) => stopWorker(w, "SIGKILL")));
  });

  it(`${PROCESSES} workers, one SIGKILLed every ~${KILL_EVERY_MS} ms, ${TASKS} tasks: all succeed, duplicates only from killed processes`, async () => {
    const path = file("chaos.db");
    const logDir = join(dir, "starts");
    mkdirSync(logDir);
    const queue = new AsyncSQLiteQueue({ path });
    const ids = Array.from({ length: TASKS }, (_, i) => `chaos-${String(i).padStart(5, "0")}`);
    await queue.enqueueMany(ids.map((id) => ({ id, name: "chaos.job", maxRetries: 100 })));

    const config: WorkerProcessConfig = {
      path,
      logDir,
      task: "chaos.job",
      sleepMs: 3,
      worker: {
        concurrency: 4,
        leaseMs: 1200,
        maintenanceMs: 200,
        pollIntervalMs: { min: 5, max: 200 },
        gracefulStopMs: 2000,
      },
    };
    const spawn = (): WorkerProcess => {
      const w = startWorker(config);
      live.add(w);
      void w.exited.then(() => live.delete(w));
      return w;
    };
    const killed = new Set<number>();
    const spawned: number[] = [];
    for (let i = 0; i < PROCESSES; i++) spawned.push(spawn().pid);

    const started = Date.now();
    let done = 0;
    try {
      while (Date.now() - started < DEADLINE_MS) {
        await sleep(KILL_EVERY_MS * (0.5 + Math.random()));
        done = await queue.count({ statuses: ["success"] });
        if (done === TASKS) break;
        const victims = [...live].filter((w) => !killed.has(w.pid));
        const victim = victims[Math.floor(Math.random() * victims.length)];
        if (victim) {
          killed.add(victim.pid);
          victim.child.kill("SIGKILL");
        }
        spawned.push(spawn().pid);
      }
      done = await queue.count({ statuses: ["success"] });
    } finally {
      await Promise.all([...live].map((w) => stopWorker(w, "SIGTERM")));
    }
    const elapsed = Date.now() - started;

    const counts = {
      success: await queue.count({ statuses: ["success"] }),
      pending: await queue.count({ statuses: ["pending"] }),
      running: await queue.count({ statuses: ["running"] }),
      failed: await queue.count({ statuses: ["failed"] }),
    };
    const completer = new Map<string, number>();
    for await (const t of pages(queue)) {
      completer.set(t.id, Number(t.workerId?.replace(/^w-/, "")));
    }
    await queue.close();

    const byTask = new Map<string, Start[]>();
    for (const s of readStarts(logDir)) {
      const list = byTask.get(s.taskId) ?? [];
      list.push(s);
      byTask.set(s.taskId, list);
    }
    let duplicated = 0;
    let extraStarts = 0;
    const unexplained: string[] = [];
    for (const id of ids) {
      const starts = byTask.get(id) ?? [];
      const by = completer.get(id)!;
      if (starts.length > 1) {
        duplicated++;
        extraStarts += starts.length - 1;
      }
      // The completing process ran it once; every other start was in a process that was
      // SIGKILLed (so it never completed it there).
      const own = starts.filter((s) => s.pid === by);
      const others = starts.filter((s) => s.pid !== by);
      if (own.length !== 1) unexplained.push(`${id}: ${own.length} starts in completer ${by}`);
      for (const s of others) {
        if (!killed.has(s.pid)) unexplained.push(`${id}: started in ${s.pid}, not killed`);
        if (s.at > own[0]!.at) unexplained.push(`${id}: started in ${s.pid} after the completer`);
      }
    }
    console.log(
      `sqlite chaos: ${TASKS} tasks done in ${elapsed} ms; ${spawned.length} worker processes ` +
        `started, ${killed.size} SIGKILLed; duplicate executions: ${duplicated} tasks started ` +
        `more than once (${extraStarts} extra starts), all in killed processes: ${unexplained.length === 0}`,
    );

    expect(counts).toEqual({ success: TASKS, pending: 0, running: 0, failed: 0 });
    expect(done).toBe(TASKS);
    expect(killed.size).toBeGreaterThan(5);
    // Some kills hit running tasks, so the recovery path was exercised.
    expect(duplicated).toBeGreaterThan(0);
    expect(unexplained.slice(0, 20)).toEqual([]);
    expect(byTask.size).toBe(TASKS);
  }, 90_000);
});

async function* pages(queue: AsyncSQLiteQueue) {
  let cursor: string | undefined;
  do {
    const page = await queue.list({ limit: 1000, cursor });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}
