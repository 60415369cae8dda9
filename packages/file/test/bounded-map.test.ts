/**
 * `BoundedMap`, the process-local caches' map: it keeps at least the `max` newest writes and
 * never more than `2 * max` entries, and reads, overwrites and deletes behave as on a `Map`.
 * Checked against a model (a plain Map plus each key's write sequence) under random writes,
 * overwrites, deletes and reads.
 */
import { describe, expect, it } from "vitest";
import { BoundedMap } from "../src/internal/store-state.js";

describe("BoundedMap", () => {
  it("keeps the newest max writes, holds at most 2*max, and agrees with a Map on what it keeps", () => {
    const max = 50;
    const map = new BoundedMap<string, number>(max);
    const model = new Map<string, number>(); // everything ever written and not deleted
    const writtenAt = new Map<string, number>(); // key -> sequence number of its last write
    let seq = 0;
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const key = `k${rand(400)}`;
      const op = rand(10);
      if (op < 6) {
        map.set(key, step);
        model.set(key, step);
        writtenAt.set(key, seq++);
      } else if (op < 7) {
        const had = map.has(key);
        expect(map.delete(key)).toBe(had);
        expect(map.has(key)).toBe(false);
        model.delete(key);
        writtenAt.delete(key);
      } else {
        const got = map.get(key);
        // Whatever it still holds is the latest value written.
        if (got !== undefined) expect(got).toBe(model.get(key));
        expect(map.has(key)).toBe(got !== undefined);
      }
      if (step % 97 === 0) {
        let held = 0;
        for (const [k, at] of writtenAt) {
          const has = map.has(k);
          if (has) held++;
          // The max newest writes are never forgotten.
          if (seq - at <= max) expect(has, `${k} written ${seq - at} writes ago`).toBe(true);
        }
        expect(held).toBeLessThanOrEqual(2 * max);
      }
    }
  });

  it("forgets a deleted key in both generations, and an overwrite is not forgotten with its old copy", () => {
    const map = new BoundedMap<string, string>(2);
    map.set("a", "1");
    map.set("b", "1");
    map.set("c", "1"); // a and b are now the old generation
    map.set("a", "2"); // overwritten: lives in the young generation only
    expect(map.get("a")).toBe("2");
    map.set("d", "1"); // young {c, a} is full: it becomes the old one, {b} is dropped
    map.set("e", "1");
    expect(map.get("a")).toBe("2");
    expect(map.has("b")).toBe(false); // dropped with the oldest generation
    expect(map.delete("a")).toBe(true);
    expect(map.has("a")).toBe(false);
    expect(map.get("a")).toBeUndefined();
    expect(map.delete("a")).toBe(false);
  });
});
