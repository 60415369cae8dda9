import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  AsyncSQLiteEventStorage,
  AsyncSQLiteQueue,
  AsyncSQLiteResultStorage,
  SQLiteBackend,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

const { dir, file } = tempDir("omniq-sqlite-bad-");

async function rejection(
  p: Promise<unknown> | (() => Promise<unknown>),
): Promise<Error & Record<string, unknown>> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

/** Runs `fn` with the effective uid of `nobody` when root, so directory permissions apply. */
async function asUnprivileged<T>(fn: () => Promise<T>): Promise<T> {
  const root = process.geteuid?.() === 0;
  if (root) {
    process.setegid!(65534);
    process.seteuid!(65534);
  }
  try {
    return await fn();
  } finally {
    if (root) {
      process.seteuid!(0);
      process.setegid!(0);
    }
  }
}

describe("sqlite: bad input", () => {
  it("invalid queue names are ValidationErrors naming the field; nothing is stored", async () => {
    await using q = new AsyncSQLiteQueue({ path: file() });
    for (const queue of ["a b", "../x", "", "x".repeat(65), ".hidden", "a/b"]) {
      const err = await rejection(q.enqueue({ name: "n", queue }));
      expect(err).toMatchObject({ name: "ValidationError", field: "queue" });
    }
    expect(await rejection(q.dequeue({ queues: ["ok", "no way"], workerId: "w" }))).toMatchObject({
      name: "ValidationError",
      field: "queues[1]",
    });
    expect(await rejection(q.list({ queue: "x/y" }))).toMatchObject({ field: "queue" });
    expect(await rejection(q.purge({ queue: "x y" }))).toMatchObject({ field: "queue" });
    expect(await q.count()).toBe(0);
  });

  it("unknown ids: reads say absent, changes are NotFoundErrors naming the id", async () => {
    const backend = new SQLiteBackend({ path: file() });
    const q = backend.queue();
    try {
      expect(await q.get("nope")).toBeNull();
      expect(await q.delete("nope")).toBe(false);
      for (const op of [
        () => q.complete("nope", "w"),
        () => q.heartbeat("nope", "w"),
        () => q.fail("nope", "w", { error: { name: "E", message: "m", retryable: false } }),
        () => q.cancel("nope"),
        () => q.redrive("nope"),
        () => q.release("nope", "w"),
        () => q.pauseSchedule("nope"),
      ]) {
        const err = await rejection(op);
        expect(err).toMatchObject({ name: "NotFoundError", code: "not_found", id: "nope" });
        expect(err.message).toContain("nope");
      }
      await expect(q.completeMany([{ id: "nope", workerId: "w" }])).rejects.toMatchObject({
        name: "NotFoundError",
      });
      expect(await backend.results().get("nope")).toBeNull();
      expect(await backend.results().delete("nope")).toBe(false);
      expect((await backend.events().query({ taskId: "nope" })).items).toEqual([]);
      expect(await rejection(q.list({ cursor: "not-a-cursor" }))).toMatchObject({
        name: "ValidationError",
        field: "cursor",
      });
    } finally {
      await backend.close();
    }
  });

  it("a corrupt JSON column is reported with the task id; the queue keeps working", async () => {
    const path = file();
    const q = new AsyncSQLiteQueue({ path });
    const [bad, good1, good2] = await q.enqueueMany([
      { id: "bad-1", name: "n", args: [1], priority: 5 },
      { id: "good-1", name: "n", args: [2] },
      { id: "good-2", name: "n", args: [3] },
    ]);
    const dependent = await q.enqueue({ id: "dep-1", name: "n", dependsOn: [bad!.id] });
    const raw = new Database(path);
    raw.prepare("update tasks set args = ? where id = ?").run("[1, {oops", bad!.id);
    raw.close();

    const err = await rejection(q.get(bad!.id));
    expect(err).toMatchObject({ name: "BackendError", code: "backend" });
    expect(err.message).toContain("task bad-1 has corrupt args JSON");
    expect((await q.get(good1!.id))!.args).toEqual([2]);
    expect(await q.count()).toBe(4);

    // The corrupt task is first in dequeue order: the claim fails it and hands out the next one.
    const claimed = await q.dequeue({ workerId: "w1" });
    expect(claimed!.id).toBe(good1!.id);
    const check = new Database(path, { readonly: true });
    const row = check.prepare("select status, last_error from tasks where id = ?").get(bad!.id) as {
      status: string;
      last_error: string;
    };
    check.close();
    expect(row.status).toBe("failed");
    expect(JSON.parse(row.last_error)).toMatchObject({
      retryable: false,
      kind: "corrupt",
      message: expect.stringContaining("task bad-1 has corrupt args JSON"),
    });
    // Its dependents are cancelled like those of any failed task.
    expect((await q.get(dependent.id))!.status).toBe("cancelled");
    expect(await q.count({ statuses: ["failed"] })).toBe(1);
    expect((await q.dequeue({ workerId: "w1" }))!.id).toBe(good2!.id);
    expect(await q.dequeue({ workerId: "w1" })).toBeNull();
    expect(await q.delete(bad!.id)).toBe(true);
    expect((await q.list()).items.map((t) => t.id)).toEqual([good1!.id, good2!.id, dependent.id]);
    await q.close();
  });

  it("a file that is not a SQLite database is a BackendError naming it, and is left unchanged", async () => {
    const path = join(dir, "notes.txt");
    const content = "These are my notes, not a database. ".repeat(20);
    writeFileSync(path, content);
    for (const component of [
      new AsyncSQLiteQueue({ path }),
      new AsyncSQLiteResultStorage({ path }),
      new AsyncSQLiteEventStorage({ path }),
    ]) {
      const err = await rejection(component.init());
      expect(err).toMatchObject({ name: "BackendError", code: "backend" });
      expect(err.message).toContain(`sqlite: ${path} is not a SQLite database`);
      await component.close();
    }
    const q = new AsyncSQLiteQueue({ path });
    expect(await rejection(q.enqueue({ name: "n" }))).toMatchObject({ name: "BackendError" });
    await q.close();
    expect(readFileSync(path, "utf8")).toBe(content);
  });

  it("a read-only directory is a BackendError naming the path", async () => {
    const ro = join(dir, "read-only");
    mkdirSync(ro);
    chmodSync(dir, 0o755);
    chmodSync(ro, 0o555);
    const path = join(ro, "omniq.db");
    const err = await asUnprivileged(() => rejection(new AsyncSQLiteQueue({ path }).init()));
    expect(err).toMatchObject({ name: "BackendError", code: "backend" });
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/cannot open the database/);
    expect(err.message).toContain(`is the directory ${ro} writable?`);
  });

  it("a missing directory is a BackendError naming it", async () => {
    const path = join(dir, "no", "such", "dir", "omniq.db");
    const err = await rejection(new AsyncSQLiteQueue({ path }).init());
    expect(err).toMatchObject({ name: "BackendError" });
    expect(err.message).toContain(`directory ${join(dir, "no", "such", "dir")} does not exist`);
  });

  it("an over-large payload is a ValidationError stating the limit; nothing is stored", async () => {
    await using q = new AsyncSQLiteQueue({ path: file() });
    const err = await rejection(q.enqueue({ name: "n", args: ["x".repeat(1_048_577)] }));
    expect(err).toMatchObject({ name: "ValidationError", field: "args" });
    expect(err.message).toContain("over the limit of 1048576 bytes");
    await using small = new AsyncSQLiteQueue({ path: file(), limits: { maxPayloadBytes: 64 } });
    const e2 = await rejection(
      small.enqueueMany([{ name: "ok" }, { name: "n", metadata: { blob: "y".repeat(100) } }]),
    );
    expect(e2).toMatchObject({ name: "ValidationError", field: "tasks[1].args" });
    expect(e2.message).toContain("over the limit of 64 bytes");
    expect(await q.count()).toBe(0);
    expect(await small.count()).toBe(0);
  });

  it("bad options are ConfigErrors naming the option", async () => {
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => new AsyncSQLiteQueue({}).init(), "path"],
      [() => new AsyncSQLiteQueue({ path: "" }).init(), "path"],
      [() => new AsyncSQLiteQueue({ path: ":memory:", busyTimeoutMs: -1 }).init(), "busyTimeoutMs"],
      [
        () => new AsyncSQLiteResultStorage({ path: ":memory:", lockTimeoutMs: 1.5 }).init(),
        "lockTimeoutMs",
      ],
    ];
    for (const [fn, key] of cases) {
      expect(await rejection(fn)).toMatchObject({ name: "ConfigError", key });
    }
    expect(() => new SQLiteBackend({})).toThrow(/path/);
  });
});
