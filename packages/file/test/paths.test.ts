import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncFileQueue, assertValidKey, LocalTarget, parseTargetUrl } from "../src/index.js";
import { tempDir } from "./helpers.js";

describe("path traversal and key validation", () => {
  it("ids and queue names that could leave baseDir are rejected; nothing is written outside it", async () => {
    const root = tempDir("paths");
    const baseDir = join(root, "base");
    mkdirSync(baseDir);
    const queue = new AsyncFileQueue({ baseDir });
    try {
      for (const id of ["../escape", "a/b", "..", "a\\b", "x\u0000y", ".hidden"]) {
        await expect(queue.enqueue({ id, name: "n" })).rejects.toMatchObject({
          code: "validation",
          field: "id",
        });
        await expect(queue.get(id)).rejects.toMatchObject({ code: "validation" });
      }
      for (const q of ["../q", "q/../../x", "q\\x"]) {
        await expect(queue.enqueue({ name: "n", queue: q })).rejects.toMatchObject({
          field: "queue",
        });
      }
      await queue.enqueue({ id: "fine", name: "n" });
      expect(readdirSync(root)).toEqual(["base"]);
    } finally {
      await queue.close();
    }
  });

  it("the local target resolves every key inside baseDir and rejects the rest before touching disk", async () => {
    const root = tempDir("paths2");
    writeFileSync(join(root, "secret"), "s");
    const t = new LocalTarget({ baseDir: join(root, "base") });
    await expect(t.read("../secret")).rejects.toMatchObject({ code: "validation" });
    await expect(t.write("x/../../secret", new Uint8Array(1))).rejects.toMatchObject({
      code: "validation",
    });
    await expect(t.delete("../secret")).rejects.toMatchObject({ code: "validation" });
    await expect(t.list({ prefix: "../" })).rejects.toMatchObject({ code: "validation" });
    expect(existsSync(join(root, "secret"))).toBe(true);
    expect(t.pathOf("a/b.json")).toBe(join(root, "base", "a", "b.json"));
    expect(() => assertValidKey("a/%2e%2e/b")).toThrow(/not allowed/);
  });

  it("cloud URLs with credentials are refused without echoing them", () => {
    let message = "";
    try {
      parseTargetUrl("s3://AKIASECRET:supersecret@bucket/prefix");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/storageOptions/);
    expect(message).not.toMatch(/supersecret|AKIASECRET/);
    expect(parseTargetUrl("gs://bucket/a/b")).toEqual({
      kind: "gcs",
      bucket: "bucket",
      prefix: "a/b",
    });
    expect(parseTargetUrl("file:///tmp/x")).toEqual({ kind: "local", baseDir: "/tmp/x" });
    expect(parseTargetUrl("file:./data")).toEqual({ kind: "local", baseDir: "./data" });
    expect(parseTargetUrl("memory://jobs")).toEqual({ kind: "memory", name: "jobs" });
  });
});
