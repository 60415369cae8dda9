import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StorageTarget } from "../src/index.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);
const text = (d: Uint8Array) => dec.decode(d);

export interface TargetConformanceOptions {
  /** Conditional writes hold across processes (checked against `capabilities.crossProcess`). */
  crossProcess: boolean;
}

async function listAll(t: StorageTarget, prefix: string, limit = 1000): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 10_000; i++) {
    const page = await t.list({ prefix, cursor, limit });
    keys.push(...page.entries.map((e) => e.key));
    cursor = page.cursor;
    if (cursor === null) return keys;
  }
  throw new Error("listing did not end");
}

/**
 * The semantics every {@link StorageTarget} must have, as vitest cases. Each case gets a
 * fresh, EMPTY target from `create()` and closes it afterwards. Cloud targets reuse this with
 * their emulator:
 *
 * @example
 * ```ts
 * targetConformance("s3", () => createS3TargetForTest(), { crossProcess: true });
 * ```
 */
export function targetConformance(
  name: string,
  create: () => StorageTarget | Promise<StorageTarget>,
  options: TargetConformanceOptions,
): void {
  describe(`${name}: storage target conformance`, () => {
    let t: StorageTarget;
    beforeEach(async () => {
      t = await create();
    });
    afterEach(async () => {
      await t.close();
    });

    it("declares kind, id and capabilities", () => {
      expect(typeof t.kind).toBe("string");
      expect(typeof t.id).toBe("string");
      expect(t.capabilities.crossProcess).toBe(options.crossProcess);
      expect(t.capabilities.orderedList).toBe(true);
    });

    it("read of a missing key is null; write then read returns the bytes and the version", async () => {
      expect(await t.read("a/missing.json")).toBeNull();
      const v = await t.write("a/b.json", bytes('{"x":1}'));
      expect(typeof v).toBe("string");
      const got = await t.read("a/b.json");
      expect(text(got!.data)).toBe('{"x":1}');
      expect(got!.version).toBe(v);
      const v2 = await t.write("a/b.json", bytes('{"x":2}'));
      expect(v2).not.toBe(v);
      expect(text((await t.read("a/b.json"))!.data)).toBe('{"x":2}');
      await t.write("empty", new Uint8Array(0));
      expect((await t.read("empty"))!.data.byteLength).toBe(0);
    });

    it("writeIfAbsent creates once; the second call is null and changes nothing", async () => {
      const v = await t.writeIfAbsent("k/one", bytes("first"));
      expect(typeof v).toBe("string");
      expect(await t.writeIfAbsent("k/one", bytes("second"))).toBeNull();
      const got = await t.read("k/one");
      expect(text(got!.data)).toBe("first");
      expect(got!.version).toBe(v);
    });

    it("concurrent writeIfAbsent on one key: exactly one wins", async () => {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => t.writeIfAbsent("race/key", bytes(`w${i}`))),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      const got = await t.read("race/key");
      expect(got!.version).toBe(winners[0]);
    });

    it("writeIfVersion swaps only from the current version", async () => {
      const v1 = (await t.writeIfAbsent("cas/x", bytes("1")))!;
      const v2 = await t.writeIfVersion("cas/x", bytes("2"), v1);
      expect(typeof v2).toBe("string");
      expect(v2).not.toBe(v1);
      expect(await t.writeIfVersion("cas/x", bytes("3"), v1)).toBeNull();
      expect(text((await t.read("cas/x"))!.data)).toBe("2");
      expect(await t.writeIfVersion("cas/missing", bytes("x"), v1)).toBeNull();
      expect(await t.read("cas/missing")).toBeNull();
      const v3 = await t.writeIfVersion("cas/x", bytes("3"), v2!);
      expect((await t.read("cas/x"))!.version).toBe(v3);
    });

    it("concurrent writeIfVersion from one version: exactly one wins", async () => {
      const v = (await t.write("cas/race", bytes("0")))!;
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => t.writeIfVersion("cas/race", bytes(`w${i}`), v)),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect((await t.read("cas/race"))!.version).toBe(winners[0]);
    });

    it("delete: unconditional, with the current version, with a stale version", async () => {
      expect(await t.delete("d/missing")).toBe(false);
      await t.write("d/a", bytes("a"));
      expect(await t.delete("d/a")).toBe(true);
      expect(await t.read("d/a")).toBeNull();
      const v1 = await t.write("d/b", bytes("b1"));
      const v2 = await t.write("d/b", bytes("b2"));
      expect(await t.delete("d/b", v1)).toBe(false);
      expect(await t.read("d/b")).not.toBeNull();
      expect(await t.delete("d/b", v2)).toBe(true);
      expect(await t.read("d/b")).toBeNull();
      expect(await t.delete("d/b", v2)).toBe(false);
      // A key deleted and created again is a new object: the old version does not apply.
      const v3 = await t.writeIfAbsent("d/b", bytes("b3"));
      expect(v3).not.toBeNull();
      expect(await t.writeIfVersion("d/b", bytes("x"), v2)).toBeNull();
    });

    it("list returns keys under a prefix in lexicographic order, across directories", async () => {
      const keys = ["p/b", "p/a/2", "p/a/1", "p/a-z", "p/c.json", "p/a.json", "q/x", "p2/y"];
      for (const k of keys) await t.write(k, bytes(k));
      expect(await listAll(t, "p/")).toEqual([
        "p/a-z",
        "p/a.json",
        "p/a/1",
        "p/a/2",
        "p/b",
        "p/c.json",
      ]);
      expect(await listAll(t, "p/a")).toEqual(["p/a-z", "p/a.json", "p/a/1", "p/a/2"]);
      expect(await listAll(t, "p")).toEqual([
        "p/a-z",
        "p/a.json",
        "p/a/1",
        "p/a/2",
        "p/b",
        "p/c.json",
        "p2/y",
      ]);
      expect(await listAll(t, "nothing/")).toEqual([]);
      const withVersions = await t.list({ prefix: "q/", versions: true });
      expect(withVersions.entries).toEqual([
        { key: "q/x", version: (await t.read("q/x"))!.version },
      ]);
    });

    it("list paginates with limit and cursor, and startAfter skips ahead", async () => {
      const keys = Array.from({ length: 25 }, (_, i) => `pg/${String(i).padStart(3, "0")}`);
      for (const k of [...keys].reverse()) await t.write(k, bytes("x"));
      const first = await t.list({ prefix: "pg/", limit: 10 });
      expect(first.entries.map((e) => e.key)).toEqual(keys.slice(0, 10));
      expect(first.cursor).not.toBeNull();
      const second = await t.list({ prefix: "pg/", limit: 10, cursor: first.cursor });
      expect(second.entries.map((e) => e.key)).toEqual(keys.slice(10, 20));
      expect(await listAll(t, "pg/", 7)).toEqual(keys);
      const after = await t.list({ prefix: "pg/", startAfter: "pg/019" });
      expect(after.entries.map((e) => e.key)).toEqual(keys.slice(20));
      expect(after.cursor).toBeNull();
      const exact = await t.list({ prefix: "pg/", limit: 25 });
      expect(exact.entries).toHaveLength(25);
      expect(exact.cursor).toBeNull();
    });

    it("a list cursor stays usable after the keys before it changed (the lease sweep resumes with it later)", async () => {
      const keys = Array.from({ length: 25 }, (_, i) => `rc/${String(i).padStart(3, "0")}`);
      for (const k of keys) await t.write(k, bytes("x"));
      const first = await t.list({ prefix: "rc/", limit: 10 });
      expect(first.cursor).not.toBeNull();
      // Meanwhile the first keys go, and new ones come before and after the cursor.
      for (const k of keys.slice(0, 5)) await t.delete(k);
      await t.write("rc/000a", bytes("y"));
      await t.write("rc/015a", bytes("y"));
      const later = await t.list({ prefix: "rc/", limit: 10, cursor: first.cursor });
      expect(later.entries.map((e) => e.key)).toEqual([
        ...keys.slice(10, 16),
        "rc/015a",
        ...keys.slice(16, 19),
      ]);
    });

    it("deleted keys disappear from listings", async () => {
      for (const k of ["del/1", "del/2", "del/3"]) await t.write(k, bytes(k));
      await t.delete("del/2");
      expect(await listAll(t, "del/")).toEqual(["del/1", "del/3"]);
    });

    it("keys that could escape the base are rejected before any I/O", async () => {
      for (const bad of [
        "../x",
        "a/../../x",
        "/abs",
        "a//b",
        "a/",
        "a\\b",
        "a/./b",
        ".hidden",
        "a/.lock",
        "nul\u0000x",
        "ctl\u0001x",
        "",
        "x".repeat(2000),
      ]) {
        await expect(t.read(bad), bad).rejects.toMatchObject({ code: "validation" });
        await expect(t.write(bad, bytes("x")), bad).rejects.toMatchObject({ code: "validation" });
        await expect(t.writeIfAbsent(bad, bytes("x")), bad).rejects.toMatchObject({
          code: "validation",
        });
        await expect(t.delete(bad), bad).rejects.toMatchObject({ code: "validation" });
      }
      await expect(t.list({ prefix: "../" })).rejects.toMatchObject({ code: "validation" });
    });

    it("stored bytes are copies of the caller's buffer", async () => {
      const buf = bytes("abc");
      await t.write("copy/k", buf);
      buf[0] = 120;
      const got = await t.read("copy/k");
      expect(text(got!.data)).toBe("abc");
      got!.data[0] = 121;
      expect(text((await t.read("copy/k"))!.data)).toBe("abc");
    });

    it("use after close is a ClosedError", async () => {
      await t.write("c/k", bytes("x"));
      await t.close();
      await expect(t.read("c/k")).rejects.toMatchObject({ code: "closed" });
      t = await create();
    });
  });
}
