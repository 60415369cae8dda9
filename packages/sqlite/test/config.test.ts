import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createOmniQ } from "@omniq/core";
// The configuration layer imports the built package (resolved from `cwd`), so the classes
// to compare with come from dist too.
import { AsyncSQLiteEventStorage, AsyncSQLiteQueue, AsyncSQLiteResultStorage } from "@omniq/sqlite";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const { dir } = tempDir("omniq-sqlite-config-");
const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("sqlite: createOmniQ from OMNIQ_URL", () => {
  it("builds the three components on one file; a task runs to a result and its events are queryable", async () => {
    const path = join(dir, "all.db");
    await using omniq = await createOmniQ({
      cwd: packageDir,
      file: false,
      env: { OMNIQ_URL: `sqlite:${path}` },
    });
    expect(omniq.queue).toBeInstanceOf(AsyncSQLiteQueue);
    expect(omniq.results).toBeInstanceOf(AsyncSQLiteResultStorage);
    expect(omniq.eventStorage).toBeInstanceOf(AsyncSQLiteEventStorage);
    expect((omniq.queue as AsyncSQLiteQueue).path).toBe(path);

    const add = omniq.task("add", (a: number, b: number) => a + b);
    const handle = await add.enqueue(2, 3);
    await omniq.worker().runUntilIdle({ timeoutMs: 10_000 });
    const result = await handle.result({ waitMs: 5000 });
    expect(result).toMatchObject({ taskId: handle.id, status: "success", value: 5, attempts: 1 });
    expect(existsSync(path)).toBe(true);

    const types = (await omniq.events(handle.id)).map((e) => e.type);
    expect(types[0]).toBe("enqueued");
    expect(types).toContain("started");
    expect(types.at(-1)).toBe("succeeded");
    const page = await omniq.queryEvents({ types: ["succeeded"] });
    expect(page.items.map((e) => e.taskId)).toEqual([handle.id]);
  });
});
