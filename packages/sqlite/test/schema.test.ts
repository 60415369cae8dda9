import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { MIGRATION_NAMES, MIGRATION_TABLE } from "../src/migrate.js";
import { AsyncSQLiteEventStorage, AsyncSQLiteQueue, SQLiteBackend } from "../src/index.js";
import { CLAIM, EXPIRE, RECOVER_RETRY } from "../src/task-sql.js";
import { tempDir } from "./helpers.js";

const { file } = tempDir("omniq-sqlite-schema-");

async function migrated(): Promise<string> {
  const path = file();
  const q = new AsyncSQLiteQueue({ path });
  await q.init();
  await q.close();
  return path;
}

function plan(db: Database.Database, sql: string, params: unknown[]): string[] {
  return (db.prepare(`explain query plan ${sql}`).all(...params) as Array<{ detail: string }>).map(
    (r) => r.detail,
  );
}

describe("sqlite schema and migrations", () => {
  it("records each applied migration and creates the tables and indexes", async () => {
    const path = await migrated();
    const db = new Database(path, { readonly: true });
    try {
      const names = db.prepare(`select name from ${MIGRATION_TABLE} order by name`).pluck().all();
      expect(names).toEqual([...MIGRATION_NAMES]);
      expect(names[0]).toBe("0001_initial");
      const objects = db
        .prepare("select type, name from sqlite_master where name not like 'sqlite_%'")
        .all() as Array<{ type: string; name: string }>;
      const tables = objects.filter((o) => o.type === "table").map((o) => o.name);
      const indexes = objects.filter((o) => o.type === "index").map((o) => o.name);
      expect(tables).toEqual(
        expect.arrayContaining(["tasks", "task_deps", "schedules", "results", "events"]),
      );
      expect(indexes).toEqual(
        expect.arrayContaining([
          "tasks_dequeue",
          "tasks_expiry",
          "tasks_lease",
          "task_deps_dep",
          "results_expiry",
          "events_task",
          "events_type",
          "events_at",
        ]),
      );
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      db.close();
    }
  });

  it("opening again runs nothing; components sharing a file migrate it once", async () => {
    const path = await migrated();
    const before = new Database(path, { readonly: true });
    const rows = before.prepare(`select * from ${MIGRATION_TABLE}`).all();
    before.close();
    // Several connections opening a fresh file at once serialize on BEGIN IMMEDIATE.
    const fresh = file();
    const parts = [
      new AsyncSQLiteQueue({ path: fresh }),
      new AsyncSQLiteQueue({ path: fresh }),
      new AsyncSQLiteEventStorage({ path: fresh }),
    ];
    await Promise.all(parts.map((p) => p.init()));
    await Promise.all(parts.map((p) => p.close()));
    const again = new AsyncSQLiteQueue({ path });
    await again.init();
    await again.close();
    for (const p of [path, fresh]) {
      const db = new Database(p, { readonly: true });
      const now = db.prepare(`select * from ${MIGRATION_TABLE}`).all();
      db.close();
      expect(now).toHaveLength(MIGRATION_NAMES.length);
      if (p === path) expect(now).toEqual(rows);
    }
  });

  it("a database migrated by a newer OmniQ is refused with a clear error and left alone", async () => {
    const path = await migrated();
    const raw = new Database(path);
    raw
      .prepare(`insert into ${MIGRATION_TABLE} (name, timestamp) values (?, ?)`)
      .run("0042_from_the_future", new Date().toISOString());
    raw.close();
    for (const component of [
      new AsyncSQLiteQueue({ path }),
      new AsyncSQLiteEventStorage({ path }),
      new SQLiteBackend({ path }).results(),
    ]) {
      const err = await component.init().catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ name: "BackendError", code: "backend" });
      expect((err as Error).message).toContain("newer OmniQ (migration 0042_from_the_future)");
      expect((err as Error).message).toContain("upgrade @omniq/sqlite");
      expect((err as Error).message).toContain(path);
      await component.close();
    }
    const check = new Database(path, { readonly: true });
    expect(check.prepare(`select count(*) from ${MIGRATION_TABLE}`).pluck().get()).toBe(2);
    check.close();
  });

  it("EXPLAIN QUERY PLAN: dequeue searches the tasks_dequeue index, with no scan and no sort", async () => {
    const path = file();
    const q = new AsyncSQLiteQueue({ path });
    const deps = await q.enqueueMany(
      Array.from({ length: 200 }, (_, i) => ({ name: "n", queue: `q${i % 4}`, priority: i % 3 })),
    );
    await q.enqueue({ name: "dependent", dependsOn: [deps[0]!.id] });
    await q.close();
    const db = new Database(path);
    // Plans must hold with no statistics (a fresh file) and with them (after ANALYZE).
    for (const analyzed of [false, true]) {
      if (analyzed) db.exec("analyze");
      const now = Date.now();
      const detail = plan(db, CLAIM, ["w", now + 1000, now, now, "q1", now, now, 10]);
      const text = detail.join("\n");
      expect(text).toMatch(/SEARCH t USING INDEX tasks_dequeue \(queue=\?\)/);
      expect(text).not.toMatch(/SCAN/);
      expect(text).not.toMatch(/TEMP B-TREE/);
      // The dependency gate is an index lookup per candidate, not a scan.
      expect(text).toMatch(/SEARCH d USING PRIMARY KEY \(task_id=\?\)/);

      const lease = plan(db, RECOVER_RETRY, [now, now, now, 10]).join("\n");
      expect(lease).toMatch(/USING INDEX tasks_lease \(lease_until<\?\)/);
      expect(lease).not.toMatch(/SCAN/);
      const expire = plan(db, EXPIRE, [now, now, now, 10]).join("\n");
      expect(expire).toMatch(/USING (COVERING )?INDEX tasks_expiry/);
      expect(expire).not.toMatch(/SCAN/);
      const resultPurge = plan(
        db,
        "delete from results where expires_at is not null and expires_at <= ?",
        [now],
      ).join("\n");
      expect(resultPurge).toMatch(/USING (COVERING )?INDEX results_expiry/);
      const byTask = plan(
        db,
        "select * from events where task_id = ? order by at asc, id asc limit ?",
        ["t", 10],
      ).join("\n");
      expect(byTask).toMatch(/USING (COVERING )?INDEX events_task/);
      expect(byTask).not.toMatch(/TEMP B-TREE/);
      const byType = plan(
        db,
        "select * from events where type in (?) and at >= ? order by at asc, id asc limit ?",
        ["claimed", now, 10],
      ).join("\n");
      expect(byType).toMatch(/USING (COVERING )?INDEX events_type/);
      const byTime = plan(
        db,
        "select * from events where at >= ? and at < ? order by at desc, id desc limit ?",
        [now, now + 1, 10],
      ).join("\n");
      expect(byTime).toMatch(/USING (COVERING )?INDEX events_at/);
      expect(byTime).not.toMatch(/TEMP B-TREE/);
    }
    db.close();
  });
});
