/**
 * Pending files sit in two time-bucket directories (`<priority, runAt to 10 s>/<runAt to
 * 100 ms>/<order key>.json`), so that a listing in dequeue order reads only the first few
 * directories of a long queue on local disk, and listings remove the directories that
 * emptied.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { layout, newSeq, orderKey, orderKeyOf, parseOrderKey } from "../src/layout.js";
import { AsyncFileQueue, LocalTarget } from "../src/index.js";
import { tempDir } from "./helpers.js";

const execFileAsync = promisify(execFile);
const bytes = (s: string) => new TextEncoder().encode(s);
const prefix = layout.pendingPrefix("q");

describe("pending files in time-bucket directories", () => {
  it("their keys sort in dequeue order (priority desc, runAt asc, insertion asc) on every target", () => {
    const base = Date.UTC(2026, 10, 23);
    const tasks = Array.from({ length: 3000 }, (_, i) => {
      // Runs of equal runAt, times across bucket edges (10 s, 100 ms) and far apart.
      const runAt =
        base + (i % 7 === 0 ? 0 : Math.floor(Math.random() * [150, 20_000, 86_400_000][i % 3]!));
      const k = orderKey({
        priority: (i % 5) - 2,
        runAt,
        seq: newSeq(),
        expiresAt: null,
        hasDeps: false,
        id: `t${i}`,
      });
      return { k, key: layout.pending("q", k) };
    });
    const byKey = [...tasks].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const byOrder = [...tasks].sort((a, b) => {
      const pa = parseOrderKey(a.k)!;
      const pb = parseOrderKey(b.k)!;
      return pb.priority - pa.priority || pa.runAt - pb.runAt || (pa.seq < pb.seq ? -1 : 1);
    });
    expect(byKey.map((t) => t.k)).toEqual(byOrder.map((t) => t.k));
    for (const t of tasks) {
      expect(t.key.slice(prefix.length).split("/")).toHaveLength(3);
      expect(orderKeyOf(prefix, t.key)).toBe(t.k);
    }
  });

  it("a name not where its order key belongs is not a pending file", () => {
    const k = orderKey({
      priority: 0,
      runAt: Date.now(),
      seq: newSeq(),
      expiresAt: null,
      hasDeps: false,
      id: "a",
    });
    const key = layout.pending("q", k);
    expect(orderKeyOf(prefix, key)).toBe(k);
    expect(orderKeyOf(prefix, `${prefix}${k}.json`)).toBeNull(); // flat, as before buckets
    expect(orderKeyOf(prefix, key.replace(/\/(\d\d)\//, "/99/"))).toBeNull();
    expect(orderKeyOf(prefix, key.replace(/\.json$/, ".tmp"))).toBeNull();
    expect(orderKeyOf(layout.pendingPrefix("other"), key)).toBeNull();
  });

  it("a local listing stops at the limit and removes the empty directories it passed", async () => {
    const dir = tempDir("buckets");
    const target = new LocalTarget({ baseDir: dir });
    try {
      await target.write("x/a/1.json", bytes("1"));
      await target.write("x/b/2.json", bytes("2"));
      mkdirSync(join(dir, "x", "0"), { recursive: true }); // empty, before a/
      mkdirSync(join(dir, "x", "z"), { recursive: true }); // empty, after b/
      const first = await target.list({ prefix: "x/", limit: 1 });
      expect(first.entries.map((e) => e.key)).toEqual(["x/a/1.json"]);
      expect(existsSync(join(dir, "x", "0"))).toBe(false);
      // Not reached: the walk stopped once it had what it needed.
      expect(existsSync(join(dir, "x", "z"))).toBe(true);

      expect(await target.delete("x/a/1.json")).toBe(true);
      const all = await target.list({ prefix: "x/" });
      expect(all.entries.map((e) => e.key)).toEqual(["x/b/2.json"]);
      expect(readdirSync(join(dir, "x")).sort()).toEqual(["b"]);
      // The listed directory itself stays, and a write into a removed directory makes it again.
      expect(await target.write("x/a/3.json", bytes("3"))).toEqual(expect.any(String));
      expect(new TextDecoder().decode((await target.read("x/a/3.json"))!.data)).toBe("3");
    } finally {
      await target.close();
    }
  });

  it("a drained queue on local disk leaves no bucket directories behind", async () => {
    const dir = tempDir("drained");
    const queue = new AsyncFileQueue({ baseDir: dir, listCacheMs: 0 });
    try {
      const now = Date.now();
      // Due at once, across several 100 ms buckets and two 10 s ones.
      for (let i = 0; i < 30; i++) {
        await queue.enqueue({ name: "n", args: [i], runAt: new Date(now - i * 700) });
      }
      const pendingDir = join(dir, "queues", "default", "pending");
      expect(readdirSync(pendingDir, { recursive: true }).length).toBeGreaterThan(30);
      let done = 0;
      for (let t = await queue.dequeue({ workerId: "w" }); t; ) {
        await queue.complete(t.id, "w");
        done++;
        t = await queue.dequeue({ workerId: "w" });
      }
      expect(done).toBe(30);
      // A listing now (one in the same millisecond as the last may be skipped as fresh)
      // finds nothing and removes what had emptied.
      await new Promise((r) => setTimeout(r, 5));
      expect(await queue.dequeue({ workerId: "w" })).toBeNull();
      expect(readdirSync(pendingDir).filter((n) => !n.startsWith("."))).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});

describe("directories removed by listings while other processes write into them", () => {
  it("4 OS processes writing, swapping and deleting keys in 4 directories that each one's listings remove: no step fails", async () => {
    const baseDir = tempDir("churn");
    const worker = fileURLToPath(new URL("./fixtures/dir-churn-worker.mjs", import.meta.url));
    const rounds = 1500;
    const runs = Array.from({ length: 4 }, (_, i) =>
      execFileAsync(process.execPath, [worker, JSON.stringify({ baseDir, name: `p${i}`, rounds })]),
    );
    const outs = (await Promise.all(runs)).map(
      (r) => JSON.parse(r.stdout) as { rounds: number; dirGone: number },
    );
    expect(outs.map((o) => o.rounds)).toEqual([rounds, rounds, rounds, rounds]);
    const gone = outs.reduce((n, o) => n + o.dirGone, 0);
    console.log(
      `dir churn: 4 × ${rounds} rounds; a write found its directory removed ${gone} times`,
    );
    // The race was really run: writers met directories a listing had just removed.
    expect(gone).toBeGreaterThan(0);
    const target = new LocalTarget({ baseDir });
    try {
      expect((await target.list({ prefix: "churn/" })).entries).toEqual([]);
      expect(readdirSync(join(baseDir, "churn"))).toEqual([]);
    } finally {
      await target.close();
    }
  }, 120_000);
});
