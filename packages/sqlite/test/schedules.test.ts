import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { AsyncSQLiteEventStorage, AsyncSQLiteQueue } from "../src/index.js";
import { tempDir } from "./helpers.js";
import {
  readStarts,
  startWorker,
  stopWorker,
  type WorkerProcess,
  waitUntil,
} from "./fixtures/worker-process.js";

const { dir, file } = tempDir("omniq-sqlite-schedules-");

const PROCESSES = 3;
const RUN_MS = 10_000;
const SCHEDULE_ID = "every-second";

describe("sqlite: a schedule shared by worker processes", () => {
  const workers: WorkerProcess[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, "SIGKILL")));
  });

  it(`${PROCESSES} processes for ${RUN_MS / 1000} s on everyMs 1000: one task per tick, run once`, async () => {
    const path = file("schedules.db");
    const logDir = join(dir, "starts");
    mkdirSync(logDir);
    const queue = new AsyncSQLiteQueue({ path });
    const events = new AsyncSQLiteEventStorage({ path });
    await queue.init();
    for (let i = 0; i < PROCESSES; i++) {
      workers.push(
        startWorker({
          path,
          logDir,
          task: "sched.tick",
          worker: { concurrency: 2, scheduleTickMs: 100, pollIntervalMs: { min: 5, max: 200 } },
        }),
      );
    }
    await Promise.all(workers.map((w) => w.ready));

    const added = await queue.addSchedule({ id: SCHEDULE_ID, name: "sched.tick", everyMs: 1000 });
    await sleep(added.nextRunAt!.getTime() - 1000 + RUN_MS + 50 - Date.now());
    await queue.removeSchedule(SCHEDULE_ID);
    // Let the workers finish what fired, then stop them gracefully.
    await waitUntil(
      async () =>
        (await queue.count({ scheduleId: SCHEDULE_ID, statuses: ["pending", "running"] })) === 0,
      "the fired tasks to finish",
      5000,
    );
    await Promise.all(workers.map((w) => stopWorker(w)));

    const tasks = (await queue.list({ scheduleId: SCHEDULE_ID, limit: 1000 })).items;
    const fired = (await events.query({ types: ["schedule_fired"], limit: 1000 })).items;
    await queue.close();
    await events.close();

    const ticks = tasks.map((t) => {
      const m = new RegExp(`^${SCHEDULE_ID}-(\\d+)$`).exec(t.id);
      expect(m, `task id ${t.id}`).not.toBeNull();
      return Number(m![1]);
    });
    ticks.sort((a, b) => a - b);
    const starts = readStarts(logDir);
    const firedBy = new Map<string, number>();
    for (const e of fired)
      firedBy.set(e.workerId ?? "?", (firedBy.get(e.workerId ?? "?") ?? 0) + 1);
    console.log(
      `sqlite schedules: ${tasks.length} fires in ${RUN_MS} ms on everyMs 1000 across ${PROCESSES} processes ` +
        `(fired by ${[...firedBy].map(([w, n]) => `${w}: ${n}`).join(", ")}); handler runs: ${starts.length}`,
    );

    expect(tasks.length).toBeGreaterThanOrEqual(9);
    expect(tasks.length).toBeLessThanOrEqual(11);
    // Never two tasks for one tick, and no tick skipped while the workers ran.
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks[0]).toBe(added.nextRunAt!.getTime());
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(1000);
    expect(tasks.every((t) => t.status === "success" && t.scheduleId === SCHEDULE_ID)).toBe(true);
    // The handler ran exactly once per tick.
    expect(starts.map((s) => s.taskId).sort()).toEqual(tasks.map((t) => t.id).sort());
    expect(fired).toHaveLength(tasks.length);
  }, 30_000);
});
