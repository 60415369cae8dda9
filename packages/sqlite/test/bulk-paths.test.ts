import { LeaseLostError, NotFoundError } from "@omniq/core";
import { describe, expect, it } from "vitest";
import { AsyncSQLiteQueue } from "../src/index.js";
import { tempDir } from "./helpers.js";

const { file } = tempDir("omniq-sqlite-bulk-");

describe("bulk statement paths", () => {
  it("enqueueMany of mixed lean and full tasks keeps batch order, dedupes ids, stores every field", async () => {
    await using q = new AsyncSQLiteQueue({ path: file() });
    const tasks = Array.from({ length: 203 }, (_, i) =>
      i % 50 === 7
        ? { name: "full", args: [i], metadata: { i }, timeoutMs: 1000 + i, id: `full-${i}` }
        : { name: "lean", args: [i] },
    );
    const out = await q.enqueueMany([...tasks, { name: "again", id: "full-7" }]);
    expect(out).toHaveLength(204);
    // The repeated id answers with the stored task, not the new one.
    expect(out[203]).toMatchObject({ id: "full-7", name: "full", timeoutMs: 1007 });
    expect(await q.count({})).toBe(203);
    const listed: number[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await q.list({ limit: 100, ...(cursor ? { cursor } : {}) });
      for (const t of page.items) listed.push(t.args[0] as number);
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toEqual(tasks.map((_, i) => i));
    expect(await q.get("full-57")).toMatchObject({ metadata: { i: 57 }, timeoutMs: 1057 });
    const lean = (await q.get(out[1]!.id))!;
    expect(lean).toMatchObject({ status: "pending", attempts: 0, dependsOn: [], metadata: {} });
    expect(lean.retry).toEqual(out[1]!.retry);
  });

  it("completeMany in one statement: dequeue order kept, lost leases are null, a missing task throws after the rest", async () => {
    await using q = new AsyncSQLiteQueue({ path: file() });
    await q.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ name: "n", args: [i] })));
    const mine = await q.dequeueMany({ workerId: "w", limit: 3 });
    const [theirs] = await q.dequeueMany({ workerId: "other", limit: 1 });
    const items = [...mine].reverse().map((t) => ({ id: t.id, workerId: "w" }));
    const out = await q.completeMany([...items, { id: theirs!.id, workerId: "w" }]);
    expect(out.map((t) => t?.id ?? null)).toEqual([...items.map((i) => i.id), null]);
    expect(out.slice(0, 3).every((t) => t?.status === "success")).toBe(true);
    expect((await q.get(theirs!.id))?.status).toBe("running");

    const [last] = await q.dequeueMany({ workerId: "w", limit: 1 });
    await expect(
      q.completeMany([
        { id: last!.id, workerId: "w" },
        { id: "missing-task", workerId: "w" },
      ]),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await q.get(last!.id))?.status).toBe("success");
    // Completing again: the lease is gone.
    await expect(q.complete(last!.id, "w")).rejects.toBeInstanceOf(LeaseLostError);
    // A repeated id completes once.
    const twice = await q.completeMany([
      { id: theirs!.id, workerId: "other" },
      { id: theirs!.id, workerId: "other" },
    ]);
    expect(twice.map((t) => t?.status ?? null)).toEqual(["success", null]);
  });
});
