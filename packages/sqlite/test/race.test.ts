import { fork } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runClaimRace } from "@omniq/core/testing";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AsyncSQLiteQueue } from "../src/index.js";
import { tempDir } from "./helpers.js";

const { dir, file } = tempDir("omniq-sqlite-race-");
const factoryModule = new URL("./fixtures/race-factory.mjs", import.meta.url).href;

interface ChildStats {
  pid: number;
  busyRetries: number;
  longestCallMs: number;
}

function readStats(statsDir: string): ChildStats[] {
  return readdirSync(statsDir).map(
    (f) => JSON.parse(readFileSync(join(statsDir, f), "utf8")) as ChildStats,
  );
}

describe("sqlite: cross-process claim race", () => {
  for (const batch of [1, 50]) {
    it(`4 processes x 10,000 tasks (batch ${batch}): each claimed and completed exactly once`, async () => {
      const statsDir = join(dir, `stats-${batch}`);
      mkdirSync(statsDir);
      const r = await runClaimRace({
        processes: 4,
        tasks: 10_000,
        batch,
        factoryModule,
        factoryArg: { path: file(`race-${batch}.db`), statsDir },
        timeoutMs: 300_000,
      });
      const stats = readStats(statsDir);
      console.log(
        `sqlite race batch ${batch}: ${r.claimed} claims in ${Math.round(r.elapsedMs)} ms ` +
          `(${Math.round((r.claimed / r.elapsedMs) * 1000)} tasks/s); per process ${r.perProcess.join(", ")}; ` +
          `SQLITE_BUSY retried from JS: ${stats.map((s) => s.busyRetries).join(", ")}; ` +
          `longest synchronous call ms: ${stats.map((s) => s.longestCallMs.toFixed(1)).join(", ")}`,
      );
      expect(r.duplicates).toEqual([]);
      expect(r.missing).toEqual([]);
      expect(r.claimed).toBe(10_000);
      expect(r.perProcess.reduce((a, b) => a + b, 0)).toBe(10_000);
      // The children never saw an error (runClaimRace rejects on any), so every SQLITE_BUSY was absorbed.
      expect(stats.length).toBeGreaterThanOrEqual(4);
    });
  }
});

describe("sqlite: a locked database", () => {
  it("waits without blocking the event loop, then proceeds when the lock is released", async () => {
    const path = file();
    const queue = new AsyncSQLiteQueue({ path, busyTimeoutMs: 5 });
    await queue.init();
    const other = new Database(path);
    other.exec("begin immediate");
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const release = setTimeout(() => other.exec("commit"), 300);
    try {
      const started = Date.now();
      const task = await queue.enqueue({ name: "after-lock" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(task.status).toBe("pending");
      // The loop kept running while the write waited for the lock.
      expect(ticks).toBeGreaterThan(10);
      expect(queue.connectionStats().busyRetries).toBeGreaterThan(0);
      expect(await queue.count()).toBe(1);
    } finally {
      clearInterval(timer);
      clearTimeout(release);
      if (other.inTransaction) other.exec("commit");
      other.close();
      await queue.close();
    }
  });

  it("gives up after lockTimeoutMs with a BackendError naming the database", async () => {
    const path = file();
    const queue = new AsyncSQLiteQueue({ path, busyTimeoutMs: 1, lockTimeoutMs: 100 });
    await queue.init();
    const other = new Database(path);
    other.exec("begin immediate");
    try {
      const err = await queue.enqueue({ name: "x" }).catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ name: "BackendError", code: "backend" });
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toContain("SQLITE_BUSY");
    } finally {
      other.exec("rollback");
      other.close();
      await queue.close();
    }
    // Nothing half-written: the database works and holds nothing.
    const again = new AsyncSQLiteQueue({ path });
    expect(await again.count()).toBe(0);
    await again.close();
  });
});

describe("sqlite: a crashed worker", () => {
  it("its tasks return to pending once the lease expires, and another process's worker takes them", async () => {
    const path = file();
    const queue = new AsyncSQLiteQueue({ path });
    await queue.enqueueMany(Array.from({ length: 8 }, (_, i) => ({ name: "n", args: [i] })));
    const child = fork(
      new URL("./fixtures/crash-worker.mjs", import.meta.url),
      [path, "5", "60000"],
      {
        execArgv: [],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    try {
      const held = await new Promise<string[]>((resolve, reject) => {
        child.once("message", (m) => resolve(m as string[]));
        child.once("exit", (code) => reject(new Error(`crash worker exited early (${code})`)));
      });
      expect(held).toHaveLength(5);
      child.removeAllListeners("exit");
      child.kill("SIGKILL");
      // Before the lease ends nothing is recovered and the tasks stay with the dead worker.
      expect(await queue.recoverExpiredLeases()).toEqual([]);
      expect(await queue.count({ statuses: ["running"] })).toBe(5);
      const later = new Date(Date.now() + 120_000);
      const recovered = await queue.recoverExpiredLeases(later);
      expect(recovered.map((t) => t.id).sort()).toEqual([...held].sort());
      expect(recovered.every((t) => t.status === "pending" && t.workerId === null)).toBe(true);
      expect(recovered[0]!.lastError).toMatchObject({ kind: "lease_expired", retryable: true });
      const again = await queue.dequeueMany({ workerId: "survivor", limit: 10, now: later });
      expect(again).toHaveLength(8);
      expect(again.filter((t) => held.includes(t.id)).every((t) => t.attempts === 2)).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await queue.close();
    }
  });
});
