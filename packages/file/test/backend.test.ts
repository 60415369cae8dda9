import { describe, expect, it } from "vitest";
import {
  AsyncFileQueue,
  createTarget,
  FileBackend,
  MemoryTarget,
  omniqUrlFactory,
} from "../src/index.js";
import { tempDir, uniqueName } from "./helpers.js";

describe("FileBackend, URLs and target specs", () => {
  it("FileBackend makes the three components once, on one location, and closes them", async () => {
    const backend = new FileBackend({
      baseDir: tempDir("backend"),
      queue: { defaultLeaseMs: 5000 },
    });
    const q = backend.queue();
    expect(backend.queue()).toBe(q);
    const t = await q.enqueue({ name: "n" });
    const claimed = await q.dequeue({ workerId: "w" });
    expect(claimed!.leaseUntil!.getTime() - claimed!.startedAt!.getTime()).toBe(5000);
    await backend.results().set({
      taskId: t.id,
      status: "success",
      value: 1,
      attempts: 1,
      startedAt: null,
      finishedAt: new Date(),
      durationMs: null,
      workerId: "w",
      expiresAt: null,
    });
    await backend.events().append({ taskId: t.id, type: "succeeded", queue: "default" });
    expect((await backend.results().get(t.id))!.value).toBe(1);
    expect((await backend.events().query({ taskId: t.id })).items).toHaveLength(1);
    await backend.close();
    await expect(q.count()).rejects.toMatchObject({ code: "closed" });
  });

  it("memory://name is one store for every component of the process; memory: alone is private", async () => {
    const name = uniqueName("shared");
    const a = omniqUrlFactory.queue(`memory://${name}`);
    const b = omniqUrlFactory.queue(`memory://${name}`);
    const t = await a.enqueue({ name: "n" });
    expect((await b.get(t.id))!.id).toBe(t.id);
    expect((await b.dequeue({ workerId: "w" }))!.id).toBe(t.id);
    const c = omniqUrlFactory.queue("memory:");
    expect(await c.count()).toBe(0);
    await Promise.all([a.close(), b.close(), c.close()]);
    MemoryTarget.drop(name);
  });

  it("the URL factory serves its schemes and passes options through", async () => {
    expect([...omniqUrlFactory.schemes].sort()).toEqual(["azure", "file", "gs", "memory", "s3"]);
    const q = omniqUrlFactory.queue(`file:${tempDir("url")}`, { defaultLeaseMs: 1234 });
    expect(q).toBeInstanceOf(AsyncFileQueue);
    expect(q.capabilities.crossProcessClaims).toBe(true);
    await q.enqueue({ name: "n" });
    expect((await q.dequeue({ workerId: "w" }))!.leaseUntil).toBeInstanceOf(Date);
    await q.close();
    expect(() => omniqUrlFactory.queue("ftp://x")).toThrow(/scheme/);
    expect(() => new AsyncFileQueue({ baseDir: "a", url: "memory:" })).toThrow(/exactly one/);
  });

  it("createTarget builds from plain data and names a bad kind", async () => {
    const t = await createTarget({ kind: "local", baseDir: tempDir("spec") });
    expect(t.kind).toBe("local");
    await t.close();
    await expect(createTarget({ kind: "nope" } as never)).rejects.toMatchObject({ code: "config" });
  });
});
