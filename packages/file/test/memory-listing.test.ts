/**
 * The memory target's listing against a plain sorted model, through random writes, deletes
 * (mostly from the front, as a draining queue does) and re-writes of deleted keys, with
 * listings from the start, after a key and by pages in between. The target drops deleted
 * keys from the front of its index as listings meet them; a key written again after that must
 * be listed once, in order.
 */
import { describe, expect, it } from "vitest";
import { MemoryTarget } from "../src/index.js";
import { memoryIndexOf } from "../src/targets/memory-target.js";

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const key = (n: number) => `q/pending/${String(n).padStart(6, "0")}.json`;
const bytes = new Uint8Array([123, 125]);

async function listAll(t: MemoryTarget, prefix: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await t.list({ prefix, cursor, limit });
    out.push(...page.entries.map((e) => e.key));
    cursor = page.cursor;
  } while (cursor !== null);
  return out;
}

describe("memory target listing", () => {
  for (const seed of [1, 2, 3]) {
    it(`matches a sorted model through front deletes and re-writes (seed ${seed})`, async () => {
      const random = rng(seed);
      const t = new MemoryTarget();
      const live = new Set<number>();
      let next = 0;
      for (let step = 0; step < 6000; step++) {
        const r = random();
        if (r < 0.4) {
          live.add(next);
          await t.write(key(next++), bytes);
        } else if (r < 0.7 && live.size > 0) {
          const first = Math.min(...live);
          live.delete(first);
          await t.delete(key(first));
        } else if (r < 0.78 && next > 0) {
          // A key deleted earlier (maybe already dropped from the index) written again.
          const n = Math.floor(random() * next);
          live.add(n);
          await t.write(key(n), bytes);
        } else if (r < 0.85 && live.size > 0) {
          const all = [...live];
          const n = all[Math.floor(random() * all.length)]!;
          live.delete(n);
          await t.deleteMany([key(n)]);
        } else {
          const expected = [...live].sort((a, b) => a - b).map(key);
          const limit = 1 + Math.floor(random() * 50);
          expect(await listAll(t, "q/pending/", limit)).toEqual(expected);
          const first = await t.list({ prefix: "q/pending/", limit: 5 });
          expect(first.entries.map((e) => e.key)).toEqual(expected.slice(0, 5));
          if (expected.length > 2) {
            const after = expected[1]!;
            const page = await t.list({ prefix: "q/pending/", startAfter: after, limit: 3 });
            expect(page.entries.map((e) => e.key)).toEqual(expected.slice(2, 5));
          }
        }
      }
      expect(await listAll(t, "q/", 1000)).toEqual([...live].sort((a, b) => a - b).map(key));
    });
  }

  it("a long drained queue lists only what is left", async () => {
    const t = new MemoryTarget();
    for (let i = 0; i < 5000; i++) await t.write(key(i), bytes);
    for (let i = 0; i < 4990; i++) {
      await t.delete(key(i));
      if (i % 100 === 0) await t.list({ prefix: "q/pending/", limit: 1 });
    }
    expect(await listAll(t, "q/pending/", 4)).toEqual(
      Array.from({ length: 10 }, (_, j) => key(4990 + j)),
    );
    await t.write(key(7), bytes);
    expect((await t.list({ prefix: "q/pending/", limit: 2 })).entries.map((e) => e.key)).toEqual([
      key(7),
      key(4990),
    ]);
  });

  for (const seed of [11, 12, 13]) {
    it(`matches a sorted model across nested directories and partial prefixes (seed ${seed})`, async () => {
      const random = rng(seed);
      const t = new MemoryTarget();
      const index = memoryIndexOf(t);
      // Directories that hold keys and directories inside them (their keys interleave), time
      // buckets like the pending layout's, and names that share a start with a directory's.
      const dirs = [
        "a/",
        "a/b/",
        "a/b/c/",
        "a/bb/",
        "a/b0/",
        "p/1000/10/",
        "p/1000/11/",
        "p/1001/00/",
        "p/",
      ];
      const names = ["x", "b", "b0", "c", "bz", "10", "1000", "~"];
      const keyOf = () =>
        `${dirs[Math.floor(random() * dirs.length)]}${names[Math.floor(random() * names.length)]}${Math.floor(random() * 30)}`;
      const live = new Set<string>();
      const prefixes = [
        "",
        "a",
        "a/",
        "a/b",
        "a/b/",
        "a/b/c/",
        "p/",
        "p/100",
        "p/1000/",
        "p/1000/1",
        "q/",
      ];
      for (let step = 0; step < 3000; step++) {
        const r = random();
        if (r < 0.45) {
          const k = keyOf();
          live.add(k);
          await t.write(k, bytes);
        } else if (r < 0.8 && live.size > 0) {
          const all = [...live];
          const k = all[Math.floor(random() * all.length)]!;
          live.delete(k);
          if (random() < 0.5) await t.delete(k);
          else await t.deleteMany([k]);
        } else {
          const prefix = prefixes[Math.floor(random() * prefixes.length)]!;
          const expected = [...live].filter((k) => k.startsWith(prefix)).sort();
          const limit = 1 + Math.floor(random() * 12);
          expect(await listAll(t, prefix, limit), `prefix ${prefix}, pages of ${limit}`).toEqual(
            expected,
          );
          // From a point that is not a key: a band skip's `startAfter`.
          const from = `${prefix}${names[Math.floor(random() * names.length)]}`;
          const page = await t.list({ prefix, startAfter: from, limit });
          expect(
            page.entries.map((e) => e.key),
            `prefix ${prefix} after ${from}`,
          ).toEqual(expected.filter((k) => k > from).slice(0, limit));
        }
      }
      // Every directory emptied is forgotten.
      for (const k of live) await t.delete(k);
      expect(index.dirCount).toBe(0);
    });
  }

  it("a listing reads the directories at the head of the prefix, not all of them", async () => {
    const t = new MemoryTarget();
    // 40 buckets of 500 keys: a page of 1,000 takes two of them.
    for (let b = 0; b < 40; b++) {
      const dir = `q/pending/${String(b).padStart(4, "0")}/`;
      for (let i = 0; i < 500; i++) await t.write(`${dir}${String(i).padStart(4, "0")}`, bytes);
    }
    const page = await t.list({ prefix: "q/pending/", limit: 1000 });
    expect(page.entries).toHaveLength(1000);
    expect(page.cursor).toBe("q/pending/0001/0499");
    // Two buckets' keys, not the first 500 of each of the 40 (20,000) as before.
    expect(memoryIndexOf(t).lastListRead).toBe(1000);
    const next = await t.list({ prefix: "q/pending/", cursor: page.cursor, limit: 1000 });
    expect(next.entries[0]!.key).toBe("q/pending/0002/0000");
    expect(memoryIndexOf(t).lastListRead).toBe(1000);
  });
});
