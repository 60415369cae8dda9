import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { AsyncOmniQ, createOmniQ, type ListOptions, usesAtomicResults } from "@omniq/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  AsyncSQLiteQueue,
  AsyncSQLiteResultStorage,
  omniqUrlFactory,
  SQLiteBackend,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

const { file } = tempDir("omniq-sqlite-polish-");
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("sqlite: new AsyncOmniQ({ backend: SQLiteBackend })", () => {
  it("takes all three components, writes results atomically, and closes the backend", async () => {
    const backend = new SQLiteBackend({ path: file() });
    const omniq = new AsyncOmniQ({ backend });
    expect(omniq.queue).toBe(backend.queue());
    expect(omniq.results).toBe(backend.results());
    expect(omniq.eventStorage).toBe(backend.events());
    expect(usesAtomicResults(omniq.queue, omniq.results)).toBe(true);
    const add = omniq.task("add", (a: number, b: number) => a + b);
    const h = await add.enqueue(20, 22);
    await omniq.worker({ pollIntervalMs: { min: 1, max: 10 } }).runUntilIdle({ timeoutMs: 5000 });
    expect(await h.result({ waitMs: 2000 })).toMatchObject({ status: "success", value: 42 });
    expect((await omniq.events(h.id)).at(-1)?.type).toBe("succeeded");
    await omniq.close();
    expect(() => backend.queue()).toThrow(/after close/);
  });

  it("a schedule shorter than scheduleTickMs fires on time (the worker wakes at nextRunAt)", async () => {
    await using omniq = new AsyncOmniQ({ backend: new SQLiteBackend({ path: file() }) });
    let runs = 0;
    omniq.task("tick", () => {
      runs++;
    });
    await omniq.schedule({ id: "fast", name: "tick", everyMs: 100 });
    const worker = omniq.worker({ scheduleTickMs: 600_000, pollIntervalMs: { min: 1, max: 20 } });
    await worker.start();
    const end = Date.now() + 5000;
    while (runs < 3 && Date.now() < end) await sleep(10);
    await worker.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
  });
});

describe("sqlite: components from sqlite: URLs on one file", () => {
  it("share one connection and have atomicResults, however the path is spelled", async () => {
    const path = file();
    const queue = omniqUrlFactory.queue(
      `sqlite:${relative(process.cwd(), path)}`,
    ) as AsyncSQLiteQueue;
    const results = omniqUrlFactory.results(`sqlite://${path}`) as AsyncSQLiteResultStorage;
    const elsewhere = omniqUrlFactory.results(`sqlite:${file()}`) as AsyncSQLiteResultStorage;
    try {
      expect(queue.capabilities.atomicResults).toBe(true);
      expect(queue.sharesResultStore(results)).toBe(true);
      expect(queue.sharesResultStore(elsewhere)).toBe(false);
      const t = await queue.enqueue({ name: "n" });
      await queue.dequeue({ workerId: "w" });
      await queue.complete(t.id, "w", {
        result: {
          taskId: t.id,
          status: "success",
          value: "atomic",
          attempts: 1,
          startedAt: null,
          finishedAt: new Date(),
          durationMs: null,
          workerId: "w",
          expiresAt: null,
        },
      });
      expect((await results.get(t.id))?.value).toBe("atomic");
      expect(queue.connectionStats()).toBeDefined();
    } finally {
      await Promise.all([queue.close(), results.close(), elsewhere.close()]);
    }
    const off = omniqUrlFactory.queue(`sqlite:${path}`, {
      atomicResults: false,
    }) as AsyncSQLiteQueue;
    expect(off.capabilities.atomicResults).toBe(false);
    await off.close();
  });

  it("sqlite::memory: queue and results are linked too (one in-memory database)", async () => {
    const queue = omniqUrlFactory.queue("sqlite::memory:") as AsyncSQLiteQueue;
    const results = omniqUrlFactory.results("sqlite::memory:");
    try {
      expect(queue.sharesResultStore(results)).toBe(true);
      expect(queue.sharesResultStore(new AsyncSQLiteResultStorage({ path: ":memory:" }))).toBe(
        false,
      );
    } finally {
      await Promise.all([queue.close(), results.close()]);
    }
  });

  it("createOmniQ: the worker stores results through the queue's transaction, not results.set", async () => {
    const path = file();
    await using omniq = await createOmniQ({
      cwd: packageDir,
      file: false,
      env: {},
      config: { queue: `sqlite:${path}`, results: `sqlite:${path}` },
    });
    expect(usesAtomicResults(omniq.queue, omniq.results)).toBe(true);
    // A separate write would fail: only the atomic path can store the result.
    const results = omniq.results!;
    results.set = results.setMany = () => Promise.reject(new Error("separate result write"));
    const add = omniq.task("add", (a: number, b: number) => a + b);
    const h = await add.enqueue(1, 2);
    await omniq.worker({ pollIntervalMs: { min: 1, max: 10 } }).runUntilIdle({ timeoutMs: 5000 });
    expect((await results.get(h.id))?.value).toBe(3);
  });
});

describe("sqlite: claimDueSchedules advances the schedule and inserts its task in one transaction", () => {
  it("when the task insert fails, the schedule is not advanced: the tick fires later, once", async () => {
    const path = file();
    const queue = new AsyncSQLiteQueue({ path });
    const other = new Database(path);
    try {
      const s = await queue.addSchedule({ id: "s", name: "n", at: new Date(Date.now() - 1000) });
      other.exec(
        "create trigger no_tasks before insert on tasks begin select raise(abort, 'disk full'); end",
      );
      await expect(queue.claimDueSchedules()).rejects.toThrow(/disk full/);
      const after = await queue.getSchedule("s");
      expect(after).toMatchObject({ runCount: 0, nextRunAt: s.nextRunAt, lastRunAt: null });
      other.exec("drop trigger no_tasks");
      const fired = await queue.claimDueSchedules();
      expect(fired.map((f) => f.task.id)).toEqual([`s-${s.nextRunAt!.getTime()}`]);
      expect(await queue.claimDueSchedules()).toEqual([]);
      expect(await queue.count({ scheduleId: "s" })).toBe(1);
    } finally {
      other.close();
      await queue.close();
    }
  });

  it("a schedule whose task cannot be built stays due; the others still fire", async () => {
    const queue = new AsyncSQLiteQueue({ path: file() });
    try {
      const past = new Date(Date.now() - 1000);
      await queue.addSchedule({
        id: "bad",
        name: "n",
        at: past,
        taskOptions: { priority: "high" },
      });
      await queue.addSchedule({ id: "good", name: "n", at: past });
      const fired = await queue.claimDueSchedules();
      expect(fired.map((f) => f.schedule.id)).toEqual(["good"]);
      expect((await queue.getSchedule("bad"))!.runCount).toBe(0);
      await expect(queue.claimDueSchedules()).rejects.toMatchObject({
        name: "ValidationError",
        field: "taskOptions.priority",
        message: expect.stringMatching(/^schedule bad: /),
      });
    } finally {
      await queue.close();
    }
  });

  it("a filter typo on the SQLite queue is a ValidationError, not a full listing", async () => {
    await using queue = new AsyncSQLiteQueue({ path: file() });
    await expect(queue.list({ status: "success" } as unknown as ListOptions)).rejects.toMatchObject(
      {
        field: "status",
        message: expect.stringMatching(/did you mean "statuses"/),
      },
    );
  });
});
