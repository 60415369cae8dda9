import type { TaskResult } from "@omniq/core";
import { describe, expect, it } from "vitest";
import {
  AsyncSQLiteEventStorage,
  AsyncSQLiteQueue,
  AsyncSQLiteResultStorage,
  omniqUrlFactory,
  parseSqliteUrl,
  SQLiteBackend,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

const { file } = tempDir("omniq-sqlite-backend-");

function result(taskId: string, value: unknown, expiresAt: Date | null = null): TaskResult {
  const now = new Date();
  return {
    taskId,
    status: "success",
    value,
    attempts: 1,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    workerId: "w1",
    expiresAt,
  };
}

describe("SQLiteBackend", () => {
  it("builds three components on one connection; complete() writes the result atomically", async () => {
    await using backend = new SQLiteBackend({ path: ":memory:" });
    const queue = backend.queue();
    expect(backend.queue()).toBe(queue);
    expect(queue.capabilities).toEqual({
      crossProcessClaims: false,
      atomicBatches: true,
      atomicResults: true,
    });
    expect(queue.sharesResultStore(backend.results())).toBe(true);
    expect(queue.sharesResultStore(new AsyncSQLiteResultStorage({ path: ":memory:" }))).toBe(false);

    const [a, b] = await queue.enqueueMany([{ name: "a" }, { name: "b" }]);
    await queue.dequeueMany({ workerId: "w1", limit: 2 });
    const done = await queue.complete(a!.id, "w1", { result: result(a!.id, { answer: 42 }) });
    expect(done.status).toBe("success");
    const stored = await backend.results().get(a!.id);
    expect(stored).toMatchObject({
      taskId: a!.id,
      value: { answer: 42 },
      queue: "default",
      name: "a",
    });

    // A complete that loses its lease writes no result either.
    await queue.cancel(b!.id);
    await expect(
      queue.complete(b!.id, "w1", { result: result(b!.id, "late") }),
    ).rejects.toMatchObject({ name: "LeaseLostError" });
    expect(await backend.results().get(b!.id)).toBeNull();

    // The result must belong to the task being completed.
    const c = await queue.enqueue({ name: "c" });
    await queue.dequeue({ workerId: "w1" });
    await expect(queue.complete(c.id, "w1", { result: result(a!.id, 1) })).rejects.toMatchObject({
      name: "ValidationError",
      field: "result.taskId",
    });
    expect((await queue.get(c.id))!.status).toBe("running");

    await backend.events().append({ taskId: a!.id, type: "succeeded", queue: "default" });
    expect((await backend.events().query({ taskId: a!.id })).items).toHaveLength(1);
  });

  it("completeMany writes tasks and results in one transaction; TTL'd results purge", async () => {
    await using backend = new SQLiteBackend({ path: file() });
    const queue = backend.queue();
    const tasks = await queue.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ name: `t${i}` })));
    await queue.dequeueMany({ workerId: "w1", limit: 5 });
    const past = new Date(Date.now() - 1000);
    const out = await queue.completeMany(
      tasks.map((t, i) => ({
        id: t.id,
        workerId: i === 4 ? "someone-else" : "w1",
        result: result(t.id, i, i < 2 ? past : null),
      })),
    );
    expect(out.map((t) => t?.status ?? null)).toEqual([
      "success",
      "success",
      "success",
      "success",
      null,
    ]);
    const results = backend.results();
    const got = await results.getMany(tasks.map((t) => t.id));
    // Expired results read as absent at once; the lost lease wrote none.
    expect(got.map((r) => (r ? r.value : null))).toEqual([null, null, 2, 3, null]);
    expect(await results.purgeExpired()).toBe(2);
    expect(await results.purgeExpired()).toBe(0);
    expect((await results.list()).items.map((r) => r.value)).toEqual([2, 3]);
  });

  it("close closes every component; use after close is a ClosedError", async () => {
    const backend = new SQLiteBackend({ path: file() });
    const queue = backend.queue();
    const events = backend.events();
    await queue.enqueue({ name: "n" });
    await events.append({ taskId: "t1", type: "enqueued", queue: "default" });
    await backend.close();
    await expect(queue.count()).rejects.toMatchObject({ name: "ClosedError" });
    await expect(events.query()).rejects.toMatchObject({ name: "ClosedError" });
    expect(() => backend.results()).toThrow(/after close/);
    await backend.close();
  });

  it("components on separate files, and separate connections to one file, work alone", async () => {
    const tasksFile = file();
    const queue = new AsyncSQLiteQueue({ path: tasksFile });
    const results = new AsyncSQLiteResultStorage({ path: file() });
    const events = new AsyncSQLiteEventStorage({ path: file() });
    const other = new AsyncSQLiteQueue({ path: tasksFile });
    try {
      expect(queue.capabilities.atomicResults).toBe(false);
      expect(queue.sharesResultStore(results)).toBe(false);
      const t = await queue.enqueue({ name: "n" });
      const claimed = await other.dequeue({ workerId: "w2" });
      expect(claimed!.id).toBe(t.id);
      await other.complete(t.id, "w2");
      await results.set(result(t.id, "v"));
      await events.append({ taskId: t.id, type: "succeeded", queue: "default" });
      expect((await queue.get(t.id))!.status).toBe("success");
      expect((await results.get(t.id))!.value).toBe("v");
      expect((await events.query({ types: ["succeeded"] })).items).toHaveLength(1);
      // A queue with atomicResults writes into its own file's results table.
      const atomic = new AsyncSQLiteQueue({ path: tasksFile, atomicResults: true });
      const sameFile = new AsyncSQLiteResultStorage({ path: tasksFile });
      expect(atomic.sharesResultStore(sameFile)).toBe(true);
      const u = await atomic.enqueue({ name: "u" });
      await atomic.dequeue({ workerId: "w3" });
      await atomic.complete(u.id, "w3", { result: result(u.id, "atomic") });
      expect((await sameFile.get(u.id))!.value).toBe("atomic");
      await atomic.close();
      await sameFile.close();
    } finally {
      await Promise.all([queue.close(), results.close(), events.close(), other.close()]);
    }
  });
});

describe("omniqUrlFactory", () => {
  it("parses sqlite: URLs", () => {
    expect(omniqUrlFactory.schemes).toEqual(["sqlite"]);
    expect(parseSqliteUrl("sqlite:./omniq.db")).toBe("./omniq.db");
    expect(parseSqliteUrl("sqlite:omniq.db")).toBe("omniq.db");
    expect(parseSqliteUrl("sqlite:/abs/path.db")).toBe("/abs/path.db");
    expect(parseSqliteUrl("sqlite:///abs/path.db")).toBe("/abs/path.db");
    expect(parseSqliteUrl("sqlite::memory:")).toBe(":memory:");
    expect(() => parseSqliteUrl("sqlite:")).toThrow(/names no database file/);
    expect(() => parseSqliteUrl("postgres://x")).toThrow(/expected a URL like sqlite:/);
  });

  it("components from URLs naming one database share its connection (so :memory: works)", async () => {
    const queue = omniqUrlFactory.queue("sqlite::memory:", { atomicResults: true });
    const results = omniqUrlFactory.results("sqlite::memory:");
    const events = omniqUrlFactory.events("sqlite::memory:");
    try {
      const t = await queue.enqueue({ name: "n" });
      await queue.dequeue({ workerId: "w1" });
      await queue.complete(t.id, "w1", { result: result(t.id, "via url") });
      expect((await results.get(t.id))!.value).toBe("via url");
      await events.append({ taskId: t.id, type: "succeeded", queue: "default" });
      expect((await events.query()).items).toHaveLength(1);
    } finally {
      await Promise.all([queue.close(), results.close(), events.close()]);
    }
    // Once all are closed the in-memory database is gone; a new URL component starts empty.
    const again = omniqUrlFactory.queue("sqlite::memory:");
    expect(await again.count()).toBe(0);
    await again.close();
    const path = file();
    const fromFile = omniqUrlFactory.queue(`sqlite:${path}`);
    await fromFile.enqueue({ name: "n" });
    await fromFile.close();
    const reopened = new AsyncSQLiteQueue({ path });
    expect(await reopened.count()).toBe(1);
    await reopened.close();
  });
});

describe("SQLiteBackend with the core facade", () => {
  it("runs tasks end to end; results are written in the completing transaction", async () => {
    const { AsyncOmniQ } = await import("@omniq/core");
    const backend = new SQLiteBackend({ path: file() });
    const omniq = new AsyncOmniQ({
      queue: backend.queue(),
      results: backend.results(),
      events: backend.events(),
    });
    try {
      const add = omniq.task("add", (a: number, b: number) => a + b);
      const handles = await Promise.all([add.enqueue(1, 2), add.enqueue(20, 22)]);
      await omniq.worker().runUntilIdle();
      const values = await Promise.all(handles.map(async (h) => (await h.result()).value));
      expect(values).toEqual([3, 42]);
      const { items } = await backend.events().query({ types: ["succeeded"] });
      expect(items).toHaveLength(2);
    } finally {
      await omniq.close();
      await backend.close();
    }
  });
});
