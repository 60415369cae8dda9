import { readdirSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ClosedError } from "@omniq/core";
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, CountingTarget, LocalTarget, layout, MemoryTarget } from "../src/index.js";
import { tempDir } from "./helpers.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("memory target: text fast path", () => {
  it("text written is read back as text and as bytes; changing what read returned changes nothing stored", async () => {
    const t = new MemoryTarget();
    const v = await t.writeText("a/b.json", '{"x":"é"}');
    const got = await t.read("a/b.json");
    expect(got?.version).toBe(v);
    expect(dec.decode(got!.data)).toBe('{"x":"é"}');
    got!.data.fill(0);
    expect(dec.decode((await t.read("a/b.json"))!.data)).toBe('{"x":"é"}');
    expect(await t.readText("a/b.json")).toEqual({ text: '{"x":"é"}', version: v });
    await t.close();
  });

  it("bytes written are read back as text; changing the caller's buffer afterwards changes nothing stored", async () => {
    const t = new MemoryTarget();
    const buf = Buffer.from('{"y":1}');
    const v = await t.write("k.json", buf);
    buf.fill(0x20);
    expect(await t.readText("k.json")).toEqual({ text: '{"y":1}', version: v });
    const read = await t.read("k.json");
    read!.data[2] = 0x7a;
    expect(await t.readText("k.json")).toEqual({ text: '{"y":1}', version: v });
    await t.close();
  });

  it("writeTextIfAbsent and writeTextIfVersion are conditional like their byte twins", async () => {
    const t = new MemoryTarget();
    const v1 = await t.writeTextIfAbsent("c.json", "1");
    expect(v1).not.toBeNull();
    expect(await t.writeTextIfAbsent("c.json", "2")).toBeNull();
    expect(await t.writeIfAbsent("c.json", enc.encode("2"))).toBeNull();
    expect(await t.writeTextIfVersion("c.json", "3", "stale")).toBeNull();
    const v2 = await t.writeTextIfVersion("c.json", "3", v1!);
    expect(v2).not.toBeNull();
    expect(await t.writeIfVersion("c.json", enc.encode("4"), v1!)).toBeNull();
    const v3 = await t.writeIfVersion("c.json", enc.encode("4"), v2!);
    expect(await t.readText("c.json")).toEqual({ text: "4", version: v3 });
    expect((await t.list({ prefix: "" })).entries.map((e) => e.key)).toEqual(["c.json"]);
    expect(await t.delete("c.json", v3!)).toBe(true);
    expect(await t.readText("c.json")).toBeNull();
    await t.close();
  });

  it("bytes that are not UTF-8 read as text are a TypeError; text methods refuse bad keys and use after close", async () => {
    const t = new MemoryTarget();
    await t.write("bad.json", new Uint8Array([0xff, 0xfe]));
    await expect(t.readText("bad.json")).rejects.toBeInstanceOf(TypeError);
    await expect(t.writeText("../x", "1")).rejects.toThrow(/key/);
    await t.close();
    await expect(t.writeText("a", "1")).rejects.toBeInstanceOf(ClosedError);
    await expect(t.readText("a")).rejects.toBeInstanceOf(ClosedError);
  });

  it("a task returned by the queue is a copy: changing it changes nothing stored", async () => {
    const q = new AsyncFileQueue({ target: new MemoryTarget() });
    const t = await q.enqueue({ name: "n", args: [{ a: [1, 2] }], metadata: { m: "x" } });
    (t.args[0] as { a: number[] }).a.push(3);
    t.metadata.m = "changed";
    const claimed = await q.dequeue({ workerId: "w" });
    expect(claimed?.args).toEqual([{ a: [1, 2] }]);
    expect(claimed?.metadata).toEqual({ m: "x" });
    (claimed!.args[0] as { a: number[] }).a.length = 0;
    expect((await q.get(t.id))?.args).toEqual([{ a: [1, 2] }]);
    await q.close();
  });
});

describe("local target: hard links and the inode pool", () => {
  it("linkIfAbsent: a second name with the same content and version; null when taken or when the source is missing", async () => {
    const t = new LocalTarget({ baseDir: tempDir("link") });
    const v = await t.writeIfAbsent("tasks/a.json", enc.encode("one"));
    expect(await t.linkIfAbsent("tasks/a.json", "q/p/a.json")).toBe(v);
    expect(await t.read("q/p/a.json")).toEqual({ data: enc.encode("one"), version: v });
    expect(await t.linkIfAbsent("tasks/a.json", "q/p/a.json")).toBeNull();
    expect(await t.linkIfAbsent("tasks/missing.json", "q/p/b.json")).toBeNull();
    // Replacing one name leaves the other with the old content and version.
    const v2 = await t.writeIfVersion("tasks/a.json", enc.encode("two"), v!);
    expect(v2).not.toBeNull();
    expect(await t.read("q/p/a.json")).toEqual({ data: enc.encode("one"), version: v });
    const v3 = await t.writeIfVersion("q/p/a.json", enc.encode("three"), v!);
    expect(v3).not.toBeNull();
    expect(dec.decode((await t.read("tasks/a.json"))!.data)).toBe("two");
    expect(await t.delete("tasks/a.json", v2!)).toBe(true);
    expect(dec.decode((await t.read("q/p/a.json"))!.data)).toBe("three");
    await t.close();
  });

  it("reusing pooled inodes never changes another key's content (random writes, swaps, links, deletes)", async () => {
    const t = new LocalTarget({ baseDir: tempDir("pool") });
    const model = new Map<string, { text: string; version: string }>();
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const keys = Array.from({ length: 12 }, (_, i) => `d${i % 3}/k${i}.json`);
    for (let step = 0; step < 600; step++) {
      const key = keys[rand(keys.length)]!;
      const cur = model.get(key);
      const text = `${step}:${"x".repeat(rand(40))}`;
      switch (rand(5)) {
        case 0: {
          const v = await t.write(key, enc.encode(text));
          model.set(key, { text, version: v });
          break;
        }
        case 1: {
          const v = await t.writeIfAbsent(key, enc.encode(text));
          expect(v === null).toBe(cur !== undefined);
          if (v) model.set(key, { text, version: v });
          break;
        }
        case 2: {
          if (!cur) break;
          const v = await t.writeIfVersion(key, enc.encode(text), cur.version);
          expect(v).not.toBeNull();
          model.set(key, { text, version: v! });
          break;
        }
        case 3: {
          const other = keys[rand(keys.length)]!;
          const src = model.get(other);
          if (other === key || !src) break;
          const v = await t.linkIfAbsent(other, key);
          expect(v === null).toBe(cur !== undefined);
          if (v) {
            expect(v).toBe(src.version);
            model.set(key, { ...src });
          }
          break;
        }
        default: {
          const removed = await t.delete(key, rand(2) === 0 ? cur?.version : undefined);
          expect(removed).toBe(cur !== undefined);
          model.delete(key);
        }
      }
      for (const [k, want] of model) {
        const got = await t.read(k);
        expect(got && dec.decode(got.data)).toBe(want.text);
        expect(got?.version).toBe(want.version);
      }
    }
    await t.close();
  });

  it("past 4,096 published keys the oldest second names go, and every key keeps its content", async () => {
    const dir = tempDir("shadow");
    const t = new LocalTarget({ baseDir: dir });
    const n = 4600;
    for (let i = 0; i < n; i++) {
      const v = await t.writeIfAbsent(`s/${i}.json`, enc.encode(`a${i}`));
      // Every third key is swapped (its old inode freed) and every seventh deleted and
      // written again, so that evictions meet keys freed and added again.
      if (i % 3 === 0) await t.writeIfVersion(`s/${i}.json`, enc.encode(`b${i}`), v!);
      if (i % 7 === 0) {
        await t.delete(`s/${i}.json`);
        await t.writeIfAbsent(`s/${i}.json`, enc.encode(`c${i}`));
      }
    }
    // At most 4,096 pool files are second names of published files.
    const pool = join(dir, ".pool");
    const secondNames = readdirSync(pool).filter((f) => statSync(join(pool, f)).nlink > 1);
    expect(secondNames.length).toBeGreaterThan(0);
    expect(secondNames.length).toBeLessThanOrEqual(4096);
    for (let i = 0; i < n; i++) {
      const want = i % 7 === 0 ? `c${i}` : i % 3 === 0 ? `b${i}` : `a${i}`;
      expect(dec.decode((await t.read(`s/${i}.json`))!.data)).toBe(want);
    }
    await t.close();
    expect(readdirSync(pool)).toEqual([]);
  });

  it("close() removes this process's pool files; the keys stay readable", async () => {
    const dir = tempDir("close");
    const t = new LocalTarget({ baseDir: dir });
    for (let i = 0; i < 20; i++) {
      const v = await t.writeIfAbsent(`k/${i}.json`, enc.encode(`v${i}`));
      await t.writeIfVersion(`k/${i}.json`, enc.encode(`w${i}`), v!);
    }
    await t.close();
    expect(readdirSync(join(dir, ".pool"))).toEqual([]);
    const again = new LocalTarget({ baseDir: dir });
    expect(dec.decode((await again.read("k/7.json"))!.data)).toBe("w7");
    await again.close();
  });
});

describe("file queue on local disk: pending files as hard links of the record", () => {
  it("a new pending file is the record file itself; claiming replaces it, the record stays", async () => {
    const dir = tempDir("plink");
    const q = new AsyncFileQueue({ baseDir: dir });
    const t = await q.enqueue({ name: "n", args: [1] });
    const target = q.target as LocalTarget;
    const pendingDir = join(dir, "queues", "default", "pending");
    const [name] = readdirSync(pendingDir, { recursive: true, encoding: "utf8" }).filter((n) =>
      n.endsWith(".json"),
    );
    const record = join(dir, ...layout.task(t.id).split("/"));
    expect(statSync(join(pendingDir, name!)).ino).toBe(statSync(record).ino);
    expect(target.kind).toBe("local");
    const claimed = await q.dequeue({ workerId: "w" });
    expect(claimed?.id).toBe(t.id);
    expect(statSync(join(pendingDir, name!)).ino).not.toBe(statSync(record).ino);
    expect((await q.get(t.id))?.status).toBe("running");
    await q.complete(t.id, "w");
    expect((await q.get(t.id))?.status).toBe("success");
    await q.close();
  });

  it("pending files written as envelopes and as links are claimed by the other kind of writer", async () => {
    const dir = tempDir("mixed");
    // Another path to the same directory: another store id, so no shared in-process cache.
    const alias = `${dir}-alias`;
    symlinkSync(dir, alias);
    // CountingTarget forwards no linkIfAbsent: this queue writes {base, task} envelopes.
    const enveloping = new AsyncFileQueue({
      target: new CountingTarget(new LocalTarget({ baseDir: dir })),
    });
    const linking = new AsyncFileQueue({ baseDir: alias, listCacheMs: 0 });
    const a = await enveloping.enqueue({ id: "env-a", name: "n" });
    const b = await linking.enqueue({ id: "lnk-b", name: "n" });
    const byLinking = await linking.dequeue({ workerId: "w1" });
    const byEnveloping = await enveloping.dequeue({ workerId: "w2" });
    expect(new Set([byLinking?.id, byEnveloping?.id])).toEqual(new Set([a.id, b.id]));
    expect(await linking.dequeue({ workerId: "w1" })).toBeNull();
    await linking.complete(byLinking!.id, "w1");
    await enveloping.complete(byEnveloping!.id, "w2");
    expect((await linking.get(a.id))?.status).toBe("success");
    expect((await enveloping.get(b.id))?.status).toBe("success");
    await enveloping.close();
    await linking.close();
  });
});
