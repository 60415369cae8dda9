import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { connect } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type S3Server, startS3 } from "../src/index.js";

function clientFor(s3: S3Server): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

function portOpen(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Runs `fn` and returns the S3 error it throws (fails the test if it does not throw). */
async function s3Error(
  fn: () => Promise<unknown>,
): Promise<{ name: string; status: number | undefined }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof S3ServiceException)
      return { name: err.name, status: err.$metadata.httpStatusCode };
    throw err;
  }
  throw new Error("expected an S3 error");
}

describe("startS3", () => {
  let s3: S3Server;
  let client: S3Client;
  const Bucket = "test-bucket";

  beforeAll(async () => {
    s3 = await startS3();
    client = clientFor(s3);
    await s3.bucket(Bucket);
    await s3.bucket(Bucket); // idempotent
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  it("listens on 127.0.0.1", () => {
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("If-None-Match: * creates once, then 412 PreconditionFailed", async () => {
    const Key = "create-once.json";
    const first = await client.send(
      new PutObjectCommand({ Bucket, Key, Body: "v1", IfNoneMatch: "*" }),
    );
    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const err = await s3Error(() =>
      client.send(new PutObjectCommand({ Bucket, Key, Body: "v2", IfNoneMatch: "*" })),
    );
    expect(err).toEqual({ name: "PreconditionFailed", status: 412 });
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe("v1");
  });

  it("If-Match: stale ETag gives 412, current ETag writes", async () => {
    const Key = "cas.json";
    const v1 = await client.send(new PutObjectCommand({ Bucket, Key, Body: "v1" }));
    const v2 = await client.send(
      new PutObjectCommand({ Bucket, Key, Body: "v2", IfMatch: v1.ETag }),
    );
    expect(v2.ETag).not.toBe(v1.ETag);
    const err = await s3Error(() =>
      client.send(new PutObjectCommand({ Bucket, Key, Body: "v3", IfMatch: v1.ETag })),
    );
    expect(err).toEqual({ name: "PreconditionFailed", status: 412 });
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe("v2");
  });

  it("If-Match on a missing key gives 404 NoSuchKey, as AWS does", async () => {
    const err = await s3Error(() =>
      client.send(
        new PutObjectCommand({ Bucket, Key: "missing.json", Body: "x", IfMatch: '"0123"' }),
      ),
    );
    expect(err).toEqual({ name: "NoSuchKey", status: 404 });
  });

  it("conditional DELETE with If-Match", async () => {
    const Key = "delete-me.json";
    const put = await client.send(new PutObjectCommand({ Bucket, Key, Body: "x" }));
    const stale = await s3Error(() =>
      client.send(new DeleteObjectCommand({ Bucket, Key, IfMatch: '"deadbeef"' })),
    );
    expect(stale).toEqual({ name: "PreconditionFailed", status: 412 });
    await client.send(new DeleteObjectCommand({ Bucket, Key, IfMatch: put.ETag }));
    const gone = await s3Error(() => client.send(new HeadObjectCommand({ Bucket, Key })));
    expect(gone.status).toBe(404);
  });

  it("conditional GET and HEAD", async () => {
    const Key = "read.json";
    const put = await client.send(new PutObjectCommand({ Bucket, Key, Body: "body" }));
    const ok = await client.send(new GetObjectCommand({ Bucket, Key, IfMatch: put.ETag }));
    expect(await ok.Body?.transformToString()).toBe("body");
    expect(
      (await s3Error(() => client.send(new GetObjectCommand({ Bucket, Key, IfMatch: '"nope"' }))))
        .status,
    ).toBe(412);
    expect(
      (await s3Error(() => client.send(new HeadObjectCommand({ Bucket, Key, IfMatch: '"nope"' }))))
        .status,
    ).toBe(412);
    expect(
      (
        await s3Error(() =>
          client.send(new GetObjectCommand({ Bucket, Key, IfNoneMatch: put.ETag })),
        )
      ).status,
    ).toBe(304);
  });

  it("concurrent If-None-Match: * writers: exactly one wins", async () => {
    const Key = "race.json";
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        client.send(new PutObjectCommand({ Bucket, Key, Body: `writer-${i}`, IfNoneMatch: "*" })),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected")
        expect((r.reason as S3ServiceException).$metadata.httpStatusCode).toBe(412);
    }
  });

  it("concurrent If-Match writers on one ETag: exactly one wins", async () => {
    const Key = "race-cas.json";
    const base = await client.send(new PutObjectCommand({ Bucket, Key, Body: "base" }));
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        client.send(new PutObjectCommand({ Bucket, Key, Body: `writer-${i}`, IfMatch: base.ETag })),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("CompleteMultipartUpload honours If-None-Match: *", async () => {
    const Key = "multipart.bin";
    await client.send(new PutObjectCommand({ Bucket, Key, Body: "exists" }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const part = await client.send(
      new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: "part-1" }),
    );
    const err = await s3Error(() =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          IfNoneMatch: "*",
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      ),
    );
    expect(err.status).toBe(412);
  });

  it("stores streamed (aws-chunked) bodies correctly", async () => {
    const Key = "streamed.txt";
    const Body = Readable.from([Buffer.from("streamed "), Buffer.from("body")]);
    await client.send(new PutObjectCommand({ Bucket, Key, Body, ContentLength: 13 }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe("streamed body");
    expect(got.ContentLength).toBe(13);
  });

  it("a PutObject is readable in full as soon as it is answered", async () => {
    // Read-after-write under concurrent writes. s3rver replies before its file write has
    // finished; the layer waits until the file holds the body. (The truncated read this guards
    // against was seen about once per 35,000 requests in the 4-process race; it did not show
    // up here with the wait removed, so this checks the property, the race checks the rest.)
    const one = async (k: number): Promise<void> => {
      const Key = `put-then-get/${k}`;
      for (let i = 0; i < 4; i++) {
        const Body = Buffer.alloc(512 * 1024 + k * 997 + i, 97 + ((k + i) % 26));
        await client.send(new PutObjectCommand({ Bucket, Key, Body }));
        const got = await client.send(new GetObjectCommand({ Bucket, Key }));
        const bytes = Buffer.from(await got.Body!.transformToByteArray());
        expect(bytes.length).toBe(Body.length);
        expect(bytes.equals(Body)).toBe(true);
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, k) => one(k)));
  });

  it("ListObjectsV2 pages through all keys in lexicographic order", async () => {
    const bucket = "list-bucket";
    await s3.bucket(bucket);
    // Names chosen so that file-system order differs from key order (a-b < a < a/...).
    const keys = ["a", "a-b", "a.txt", "a/1", "a/2/x", "a-c/y", "b", "b b", "c/d/e", "z", "~", "ä"];
    for (let i = 0; i < 14; i++) keys.push(`task-${String(i).padStart(3, "0")}`);
    await Promise.all(
      keys.map((Key) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))),
    );
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

    const seen: string[] = [];
    let ContinuationToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 4, ContinuationToken }),
      );
      expect(page.KeyCount).toBeLessThanOrEqual(4);
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ""));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      pages++;
    } while (ContinuationToken);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(keys.length / 4));

    const top = await client.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["a-c/", "a/", "c/"]);
    expect(top.Contents?.map((c) => c.Key)).toEqual(expected.filter((k) => !k.includes("/")));

    const under = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: "a/", Delimiter: "/" }),
    );
    expect(under.Contents?.map((c) => c.Key)).toEqual(["a/1"]);
    expect(under.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["a/2/"]);

    const prefixed = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: "task-", MaxKeys: 5 }),
    );
    expect(prefixed.Contents?.map((c) => c.Key)).toEqual(
      expected.filter((k) => k.startsWith("task-")).slice(0, 5),
    );
    expect(prefixed.Contents?.[0]?.Size).toBe("task-000".length);
    expect(prefixed.Contents?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("lists every object that stays while deletes empty and remove other directories", async () => {
    // s3rver removes a directory when its last object goes. A listing that met such a
    // directory mid-walk was once served empty (a recursive readdir failed as a whole), while
    // the objects kept here sat in other directories: the file backend's time buckets.
    const bucket = "listing-churn";
    await s3.bucket(bucket);
    const kept = Array.from(
      { length: 40 },
      (_, i) => `q/pending/b9/k${String(i).padStart(3, "0")}`,
    );
    for (const Key of kept)
      await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "k" }));
    let churning = true;
    const churn = async (lane: number) => {
      for (let i = 0; churning; i++) {
        const Key = `q/pending/a${lane}-${i}/x/${i}`;
        await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "c" }));
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
      }
    };
    const lanes = [0, 1, 2, 3].map(churn);
    const short: number[] = [];
    try {
      for (let i = 0; i < 150; i++) {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: "q/pending/" }),
        );
        const keys = (page.Contents ?? []).map((c) => c.Key);
        if (!kept.every((k) => keys.includes(k))) short.push(keys.length);
      }
    } finally {
      churning = false;
      await Promise.all(lanes);
    }
    expect(short).toEqual([]);
  });

  it("counts requests", async () => {
    s3.resetRequestCount();
    await client.send(new PutObjectCommand({ Bucket, Key: "count.json", Body: "1" }));
    await s3Error(() =>
      client.send(new PutObjectCommand({ Bucket, Key: "count.json", Body: "2", IfNoneMatch: "*" })),
    );
    await client.send(new GetObjectCommand({ Bucket, Key: "count.json" }));
    expect(s3.requestCount()).toBe(3);
  });

  it("restart keeps data and the endpoint", async () => {
    const Key = "durable.json";
    await client.send(new PutObjectCommand({ Bucket, Key, Body: "kept" }));
    const endpoint = s3.endpoint;
    await s3.restart({ downtimeMs: 100 });
    expect(s3.endpoint).toBe(endpoint);
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe("kept");
    const err = await s3Error(() =>
      client.send(new PutObjectCommand({ Bucket, Key, Body: "x", IfNoneMatch: "*" })),
    );
    expect(err.status).toBe(412);
  });
});

describe("startS3({ ifMatchMissingKeyStatus: 412 })", () => {
  it("answers If-Match on a missing key with 412", async () => {
    const s3 = await startS3({ ifMatchMissingKeyStatus: 412 });
    const client = clientFor(s3);
    try {
      await s3.bucket("b412");
      const err = await s3Error(() =>
        client.send(
          new PutObjectCommand({ Bucket: "b412", Key: "k", Body: "x", IfMatch: '"0123"' }),
        ),
      );
      expect(err).toEqual({ name: "PreconditionFailed", status: 412 });
    } finally {
      client.destroy();
      await s3.stop();
    }
    expect(await portOpen(s3.endpoint)).toBe(false);
  });
});
