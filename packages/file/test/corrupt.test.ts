import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, AsyncFileResultStorage, LocalTarget } from "../src/index.js";
import { tempDir } from "./helpers.js";

function collectingLogger() {
  const warnings: Array<{ obj: unknown; msg?: string }> = [];
  const noop = () => {};
  return {
    warnings,
    logger: {
      debug: noop,
      info: noop,
      error: noop,
      warn: (obj: object | string, msg?: string) => warnings.push({ obj, msg }),
    },
  };
}

describe("corrupt and partial JSON files", () => {
  it("a corrupt pending file and a corrupt task file are reported, set aside, and never stop a worker", async () => {
    const baseDir = tempDir("corrupt");
    const { warnings, logger } = collectingLogger();
    const queue = new AsyncFileQueue({ baseDir, logger });
    const bad = await queue.enqueue({ id: "bad-pending", name: "n", priority: 5 });
    const badRecord = await queue.enqueue({ id: "bad-record", name: "n" });
    const good = await queue.enqueue({ id: "good", name: "n", priority: -1 });
    // Closing the last component on the store drops this process's in-memory copies.
    await queue.close();
    {
      // A half-written pending file (as if a writer died mid-write without the temp-file step).
      const pendingDir = join(baseDir, "queues", "default", "pending");
      // Pending files sit two time-bucket directories down: `<A>/<B>/<order key>.json`.
      const pendingFile = readdirSync(pendingDir, { recursive: true, encoding: "utf8" }).find((f) =>
        f.endsWith("!bad-pending.json"),
      )!;
      writeFileSync(join(pendingDir, pendingFile), '{"base":"1","task":{"id":"bad-pe');
      writeFileSync(join(baseDir, "tasks", "bad-record.json"), "not json at all");

      // A fresh queue (no in-memory copies) claims: the corrupt pending file is skipped.
      const other = new AsyncFileQueue({ target: new LocalTarget({ baseDir }), logger });
      try {
        const claimed = [];
        for (
          let t = await other.dequeue({ workerId: "w" });
          t;
          t = await other.dequeue({ workerId: "w" })
        ) {
          claimed.push(t.id);
        }
        expect(claimed).toContain(good.id);
        expect(claimed).not.toContain(bad.id);
        expect(await other.get("bad-record")).toBeNull();
      } finally {
        await other.close();
      }
      expect(
        existsSync(join(baseDir, "corrupt", "queues", "default", "pending", pendingFile)),
      ).toBe(true);
      expect(existsSync(join(pendingDir, pendingFile))).toBe(false);
      expect(readFileSync(join(baseDir, "corrupt", "tasks", "bad-record.json"), "utf8")).toBe(
        "not json at all",
      );
      expect(existsSync(join(baseDir, "tasks", "bad-record.json"))).toBe(false);
      const keys = warnings.map((w) => (w.obj as { key: string }).key);
      expect(keys).toContain(`queues/default/pending/${pendingFile}`);
      expect(keys).toContain("tasks/bad-record.json");
      expect(warnings.every((w) => /corrupt file .* set aside/.test(w.msg ?? ""))).toBe(true);
      expect(badRecord.id).toBe("bad-record");
    }
  });

  it("a corrupt result reads as absent and is set aside; list skips it", async () => {
    const baseDir = tempDir("corrupt-r");
    const { warnings, logger } = collectingLogger();
    const results = new AsyncFileResultStorage({ baseDir, logger });
    try {
      const base = {
        status: "success" as const,
        attempts: 1,
        startedAt: null,
        finishedAt: new Date(),
        durationMs: 1,
        workerId: null,
        expiresAt: null,
      };
      await results.set({ ...base, taskId: "ok", value: 1 });
      await results.set({ ...base, taskId: "broken", value: 2 });
      writeFileSync(join(baseDir, "results", "broken.json"), "{");
      expect(await results.get("broken")).toBeNull();
      expect((await results.list()).items.map((r) => r.taskId)).toEqual(["ok"]);
      expect(existsSync(join(baseDir, "corrupt", "results", "broken.json"))).toBe(true);
      expect(warnings).toHaveLength(1);
    } finally {
      await results.close();
    }
  });
});
