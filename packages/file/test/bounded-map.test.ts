/**
 * `BoundedMap`, the process-local caches' map: at most `max` entries, and when full it forgets
 * the oldest by first insertion (a Map's order: setting a key again keeps its place; deleting
 * and adding it again moves it to the end). Checked against a model under random inserts,
 * overwrites, deletes and reads, long enough for many evictions and table rehashes.
 */
import { describe, expect, it } from "vitest";
import { BoundedMap } from "../src/internal/bounded-map.js";

describe("BoundedMap", () => {
  it("holds at most max entries and forgets exactly the oldest inserted", () => {
    const max = 50;
    const map = new BoundedMap<string, number>(max);
    const model: string[] = []; // keys in insertion order
    const values = new Map<string, number>();
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 30_000; step++) {
      const key = `k${rand(300)}`;
      const op = rand(10);
      if (op < 6) {
        if (!values.has(key)) {
          if (model.length >= max) values.delete(model.shift()!);
          model.push(key);
        }
        values.set(key, step);
        map.set(key, step);
      } else if (op < 7) {
        expect(map.delete(key)).toBe(values.has(key));
        if (values.delete(key)) model.splice(model.indexOf(key), 1);
      } else {
        expect(map.get(key)).toBe(values.get(key));
      }
      expect(map.size).toBe(model.length);
      expect(map.size).toBeLessThanOrEqual(max);
      if (step % 101 === 0) expect([...map.keys()]).toEqual(model);
    }
  });

  it("keeps evicting after the map was emptied and filled again", () => {
    const map = new BoundedMap<number, true>(3);
    for (let i = 0; i < 10; i++) map.set(i, true);
    expect([...map.keys()]).toEqual([7, 8, 9]);
    for (const k of [...map.keys()]) map.delete(k);
    for (let i = 10; i < 20; i++) map.set(i, true);
    expect([...map.keys()]).toEqual([17, 18, 19]);
    map.clear();
    for (let i = 20; i < 25; i++) map.set(i, true);
    expect([...map.keys()]).toEqual([22, 23, 24]);
  });
});
