import { type ApiError, Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GcsServer, startGcs } from "../src/index.js";

async function apiError(
  fn: () => Promise<unknown>,
): Promise<{ code: number | undefined; message: string }> {
  try {
    await fn();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    return { code: typeof e.code === "number" ? e.code : undefined, message: String(e.message) };
  }
  throw new Error("expected an error");
}

describe("startGcs", () => {
  let gcs: GcsServer;
  let storage: Storage;

  beforeAll(async () => {
    gcs = await startGcs();
    storage = new Storage({ apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId });
    await storage.createBucket("omniq");
  });

  afterAll(async () => {
    await gcs?.stop();
  });

  it("listens on 127.0.0.1 and needs no credentials", async () => {
    expect(gcs.apiEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const [exists] = await storage.bucket("omniq").exists();
    expect(exists).toBe(true);
    const [missing] = await storage.bucket("nope").exists();
    expect(missing).toBe(false);
    await gcs.bucket("helper-made");
    await gcs.bucket("helper-made"); // idempotent
    expect((await storage.bucket("helper-made").exists())[0]).toBe(true);
    const err = await apiError(() => storage.createBucket("omniq"));
    expect(err.code).toBe(409);
  });

  it("ifGenerationMatch: 0 creates once, then 412", async () => {
    const file = storage.bucket("omniq").file("tasks/t1.json");
    await file.save('{"v":1}', { preconditionOpts: { ifGenerationMatch: 0 }, resumable: false });
    const err = await apiError(() =>
      file.save('{"v":2}', { preconditionOpts: { ifGenerationMatch: 0 }, resumable: false }),
    );
    expect(err.code).toBe(412);
    const [data] = await file.download();
    expect(data.toString()).toBe('{"v":1}');
  });

  it("compare-and-swap on generation", async () => {
    const file = storage.bucket("omniq").file("cas.json");
    await file.save("v1", { resumable: false });
    const [m1] = await file.getMetadata();
    expect(m1.metageneration).toBe("1");
    expect(m1.size).toBe("2"); // uint64 fields are strings in the JSON API
    const gen1 = Number(m1.generation);
    await file.save("v2", { preconditionOpts: { ifGenerationMatch: gen1 }, resumable: false });
    const [m2] = await file.getMetadata();
    expect(Number(m2.generation)).toBeGreaterThan(gen1);
    const stale = await apiError(() =>
      file.save("v3", { preconditionOpts: { ifGenerationMatch: gen1 }, resumable: false }),
    );
    expect(stale.code).toBe(412);
    expect((await file.download())[0].toString()).toBe("v2");
  });

  it("conditional delete and 404s", async () => {
    const file = storage.bucket("omniq").file("del.json");
    await file.save("x", { resumable: false });
    const [meta] = await file.getMetadata();
    expect((await apiError(() => file.delete({ ifGenerationMatch: 1 }))).code).toBe(412);
    await file.delete({ ifGenerationMatch: Number(meta.generation) });
    expect((await file.exists())[0]).toBe(false);
    expect((await apiError(() => file.download())).code).toBe(404);
    expect((await apiError(() => file.getMetadata())).code).toBe(404);
    expect((await apiError(() => file.delete())).code).toBe(404);
  });

  it("GCS JSON error body for 412", async () => {
    const file = storage.bucket("omniq").file("err.json");
    await file.save("x", { resumable: false });
    const res = await fetch(
      `${gcs.apiEndpoint}/upload/storage/v1/b/omniq/o?uploadType=media&name=err.json&ifGenerationMatch=0`,
      { method: "POST", body: "y" },
    );
    expect(res.status).toBe(412);
    const body = (await res.json()) as { error: { code: number; errors: { reason: string }[] } };
    expect(body.error.code).toBe(412);
    expect(body.error.errors[0]?.reason).toBe("conditionNotMet");
  });

  it("concurrent creators with ifGenerationMatch: 0: exactly one wins", async () => {
    const file = storage.bucket("omniq").file("race.json");
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        file.save(`w${i}`, { preconditionOpts: { ifGenerationMatch: 0 }, resumable: false }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as ApiError).code).toBe(412);
    }
  });

  it("resumable uploads, single and chunked", async () => {
    const bucket = storage.bucket("omniq");
    const small = Buffer.alloc(70_000, 1);
    await bucket.file("resumable.bin").save(small, { resumable: true });
    expect((await bucket.file("resumable.bin").download())[0].equals(small)).toBe(true);
    const big = Buffer.alloc(600 * 1024, 2);
    await bucket.file("chunked.bin").save(big, { resumable: true, chunkSize: 256 * 1024 });
    expect((await bucket.file("chunked.bin").download())[0].equals(big)).toBe(true);
    const err = await apiError(() =>
      bucket
        .file("chunked.bin")
        .save("x", { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }),
    );
    expect(err.code).toBe(412);
  });

  it("getFiles pages through all names in lexicographic order", async () => {
    await storage.createBucket("listing");
    const bucket = storage.bucket("listing");
    const names = [
      "a",
      "a-b",
      "a.txt",
      "a/1",
      "a/2/x",
      "a-c/y",
      "b",
      "b b",
      "c/d/e",
      "z",
      "~",
      "ä",
    ];
    for (let i = 0; i < 14; i++) names.push(`task-${String(i).padStart(3, "0")}`);
    await Promise.all(names.map((n) => bucket.file(n).save(n, { resumable: false })));
    const expected = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const [files, next] = await bucket.getFiles({
        maxResults: 4,
        pageToken,
        autoPaginate: false,
      });
      expect(files.length).toBeLessThanOrEqual(4);
      seen.push(...files.map((f) => f.name));
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
      pages++;
    } while (pageToken);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(names.length / 4));

    const [all] = await bucket.getFiles();
    expect(all.map((f) => f.name)).toEqual(expected);

    const [top, , resp] = await bucket.getFiles({ delimiter: "/", autoPaginate: false });
    expect(top.map((f) => f.name)).toEqual(expected.filter((n) => !n.includes("/")));
    expect((resp as { prefixes?: string[] }).prefixes).toEqual(["a-c/", "a/", "c/"]);

    const [tasks] = await bucket.getFiles({ prefix: "task-", maxResults: 5, autoPaginate: false });
    expect(tasks.map((f) => f.name)).toEqual(
      expected.filter((n) => n.startsWith("task-")).slice(0, 5),
    );
  });

  it("metadata updates with ifMetagenerationMatch", async () => {
    const file = storage.bucket("omniq").file("meta.json");
    await file.save("{}", {
      resumable: false,
      contentType: "application/json",
      metadata: { metadata: { a: "1" } },
    });
    const [m] = await file.getMetadata();
    expect(m.contentType).toBe("application/json");
    expect(m.metadata).toEqual({ a: "1" });
    await file.setMetadata({ metadata: { b: "2" } }, { ifMetagenerationMatch: 1 });
    const [m2] = await file.getMetadata();
    expect(m2.metageneration).toBe("2");
    expect(m2.generation).toBe(m.generation);
    expect(m2.metadata).toEqual({ a: "1", b: "2" });
    expect(
      (
        await apiError(() =>
          file.setMetadata({ metadata: { c: "3" } }, { ifMetagenerationMatch: 1 }),
        )
      ).code,
    ).toBe(412);
  });

  it("counts requests", async () => {
    const file = storage.bucket("omniq").file("count.json");
    gcs.resetRequestCount();
    await file.save("1", { resumable: false });
    await file.download();
    await file.getMetadata();
    expect(gcs.requestCount()).toBe(3);
  });

  it("restart keeps data and the endpoint", async () => {
    const file = storage.bucket("omniq").file("durable.json");
    await file.save("kept", { resumable: false });
    await gcs.restart({ downtimeMs: 50 });
    expect((await file.download())[0].toString()).toBe("kept");
  });
});
