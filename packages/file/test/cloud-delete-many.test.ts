/**
 * `deleteMany` on Azure (Blob Batch, against Azurite) and GCS (JSON API batch, against the GCS
 * test server): many keys with missing ones, more than one batch, one HTTP request per batch,
 * errors of single calls, retries, and the per-key fallback when a service refuses batches.
 */
import { subscribe } from "node:diagnostics_channel";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BlobServiceClient } from "@azure/storage-blob";
import { BackendError } from "@omniq/core";
import { type AzuriteServer, type GcsServer, startAzurite, startGcs } from "@omniq/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AZURE_BATCH_LIMIT, createAzureTarget } from "../src/targets/azure-target.js";
import { BatchPartError, batchFailure } from "../src/targets/batch-part-error.js";
import { isTransientError } from "../src/targets/cloud-errors.js";
import { CountingTarget } from "../src/targets/counting-target.js";
import {
  deleteBatchRequest,
  GCS_BATCH_LIMIT,
  parseBatchResponse,
} from "../src/targets/gcs-batch.js";
import { createGcsTarget } from "../src/targets/gcs-target.js";
import type { StorageTarget } from "../src/targets/storage-target.js";
import { freshPrefix } from "./cloud-target-cases.js";

const CONTAINER = "omniq-delete-many";
const BUCKET = "omniq-delete-many";
const bytes = (text: string) => new TextEncoder().encode(text);

let azurite: AzuriteServer;
let gcs: GcsServer;

// Azurite does not count requests: count the HTTP requests this process starts.
let httpRequests = 0;
subscribe("http.client.request.start", () => {
  httpRequests++;
});

beforeAll(async () => {
  [azurite, gcs] = await Promise.all([startAzurite(), startGcs()]);
  await BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient(CONTAINER)
    .create();
  await gcs.bucket(BUCKET);
});

afterAll(async () => {
  await Promise.all([azurite?.stop(), gcs?.stop()]);
});

/** Everything under the target's base directory. */
async function allKeys(target: StorageTarget): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await target.list({ prefix: "", cursor });
    keys.push(...page.entries.map((e) => e.key));
    cursor = page.cursor;
  } while (cursor !== null);
  return keys;
}

/** Writes `count` keys in parallel (a few at a time). */
async function writeKeys(target: StorageTarget, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 25) {
    await Promise.all(keys.slice(i, i + 25).map((k) => target.write(k, bytes(k))));
  }
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An HTTP proxy in front of a real test server that can answer some requests itself (to
 * stand in for a service without batches, or a failing batch part); the rest pass through.
 */
async function startProxy(
  upstream: string,
  intercept: (method: string, url: string, body: Buffer) => Reply | undefined,
): Promise<{ endpoint: string; forwarded: () => number; close: () => Promise<void> }> {
  const target = new URL(upstream);
  let forwarded = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const reply = intercept(req.method ?? "GET", req.url ?? "/", body);
      if (reply) {
        res.writeHead(reply.status, {
          ...reply.headers,
          "content-length": Buffer.byteLength(reply.body),
        });
        res.end(reply.body);
        return;
      }
      forwarded++;
      const up = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    forwarded: () => forwarded,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type BatchTarget = StorageTarget & { deleteMany(keys: readonly string[]): Promise<void> };

interface Cloud {
  name: string;
  limit: number;
  target(options?: { batchDelete?: boolean; container?: string }): BatchTarget;
  countRequests(fn: () => Promise<unknown>): Promise<number>;
}

const clouds: Cloud[] = [
  {
    name: "azure",
    limit: AZURE_BATCH_LIMIT,
    target: (options = {}) =>
      createAzureTarget({
        container: options.container ?? CONTAINER,
        prefix: freshPrefix("az-dm"),
        storageOptions: { connectionString: azurite.connectionString },
        ...(options.batchDelete === undefined ? {} : { batchDelete: options.batchDelete }),
      }),
    async countRequests(fn) {
      const before = httpRequests;
      await fn();
      return httpRequests - before;
    },
  },
  {
    name: "gcs",
    limit: GCS_BATCH_LIMIT,
    target: (options = {}) =>
      createGcsTarget({
        bucket: options.container ?? BUCKET,
        prefix: freshPrefix("gcs-dm"),
        storageOptions: { apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId },
        ...(options.batchDelete === undefined ? {} : { batchDelete: options.batchDelete }),
      }),
    async countRequests(fn) {
      gcs.resetRequestCount();
      await fn();
      return gcs.requestCount();
    },
  },
];

describe.each(clouds)("$name deleteMany", (cloud) => {
  it(`${cloud.name}: deletes more than one batch of keys, missing ones included, one request per batch`, async () => {
    const target = cloud.target();
    expect(target.capabilities.batchDelete).toBe(true);
    expect(target.capabilities.deleteBatchLimit).toBe(cloud.limit);
    const present = Array.from(
      { length: cloud.limit + 20 },
      (_, i) => `q/${String(i).padStart(4, "0")}.json`,
    );
    const missing = Array.from({ length: 30 }, (_, i) => `q/missing-${i}.json`);
    await writeKeys(target, [...present, "keep/me.json"]);
    // Missing keys in the middle of the first batch and in the second.
    const keys = [...present.slice(0, 10), ...missing, ...present.slice(10)];
    const counting = new CountingTarget(target);
    const requests = await cloud.countRequests(() => counting.deleteMany(keys));
    const batches = Math.ceil(keys.length / cloud.limit);
    expect(batches).toBe(2);
    expect(requests).toBe(batches);
    expect(counting.counts.deleteMany).toBe(batches);
    expect(counting.counts.delete).toBe(0);
    expect(await allKeys(target)).toEqual(["keep/me.json"]);
    for (const key of [present[0] as string, present.at(-1) as string]) {
      expect(await target.read(key)).toBeNull();
    }
    // Deleting them all again: every key is missing now, which is fine.
    expect(await cloud.countRequests(() => target.deleteMany(keys))).toBe(batches);
    expect(await allKeys(target)).toEqual(["keep/me.json"]);
    await target.close();
  });

  it(`${cloud.name}: keys with the reserved characters keys allow (+ = @ , ! ~)`, async () => {
    const target = cloud.target();
    const keys = ["x+y=z.json", "a@b,c.json", "n!o~p.json", "deep/er/k_1.json", "A-Z.json"];
    await writeKeys(target, keys);
    expect(await cloud.countRequests(() => target.deleteMany(keys))).toBe(1);
    expect(await allKeys(target)).toEqual([]);
    await target.close();
  });

  it(`${cloud.name}: validates every key before the first request`, async () => {
    const target = cloud.target();
    await target.write("ok.json", bytes("x"));
    const keys = [
      ...Array.from({ length: cloud.limit }, (_, i) => `k${i}`),
      "ok.json",
      "../escape",
    ];
    await expect(target.deleteMany(keys)).rejects.toThrow(/escape|key/);
    expect(await allKeys(target)).toEqual(["ok.json"]);
    await target.close();
  });

  it(`${cloud.name}: batchDelete: false sends one DELETE per key, counted as deletes`, async () => {
    const target = cloud.target({ batchDelete: false });
    expect(target.capabilities.batchDelete).toBe(false);
    const keys = ["a.json", "b.json", "c.json", "gone.json"];
    await writeKeys(target, keys.slice(0, 3));
    const counting = new CountingTarget(target);
    expect(await cloud.countRequests(() => counting.deleteMany(keys))).toBe(4);
    expect(counting.counts).toMatchObject({ delete: 4, deleteMany: 0 });
    expect(await allKeys(target)).toEqual([]);
    await target.close();
  });

  it(`${cloud.name}: a missing ${cloud.name === "azure" ? "container" : "bucket"} is an error, not a missing key`, async () => {
    const target = cloud.target({ container: "omniq-no-such-place" });
    const error = await target.deleteMany(["a.json", "b.json"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(String((error as Error).message)).toMatch(/deleteMany "a\.json" failed after 1 attempt/);
    expect(String((error as Error).message)).toMatch(/2 of 2 batched deletes failed/);
    await target.close();
  });
});

describe("azure deleteMany on Azurite", () => {
  it("azure: a leased blob fails its sub-request (412 LeaseIdMissing); the others are deleted", async () => {
    const target = clouds[0]?.target() as BatchTarget & { baseDir: string };
    await writeKeys(target, ["leased.json", "free-1.json", "free-2.json"]);
    const blob = BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(CONTAINER)
      .getBlobClient(`${target.baseDir}leased.json`);
    const lease = blob.getBlobLeaseClient();
    await lease.acquireLease(-1);
    const error = await target
      .deleteMany(["free-1.json", "leased.json", "free-2.json", "never.json"])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    const message = (error as Error).message;
    expect(message).toMatch(/1 of 4 batched deletes failed/);
    expect(message).toMatch(/leased\.json.*412 LeaseIdMissing/);
    expect((error as { cause?: { status?: number } }).cause?.status).toBe(412);
    expect(await allKeys(target)).toEqual(["leased.json"]);
    await lease.releaseLease();
    await target.deleteMany(["leased.json"]);
    expect(await allKeys(target)).toEqual([]);
    await target.close();
  });

  it("azure: a service that refuses comp=batch (400 InvalidQueryParameterValue) gets one Delete Blob per key from then on", async () => {
    const upstream = new URL(azurite.url);
    let refused = 0;
    const proxy = await startProxy(upstream.origin, (method, url) => {
      if (method !== "POST" || !url.includes("comp=batch")) return undefined;
      refused++;
      return {
        status: 400,
        headers: {
          "content-type": "application/xml",
          "x-ms-error-code": "InvalidQueryParameterValue",
        },
        body:
          '<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidQueryParameterValue</Code>' +
          "<Message>Value for one of the query parameters specified in the request URI is invalid.</Message>" +
          "<QueryParameterName>comp</QueryParameterName><QueryParameterValue>batch</QueryParameterValue></Error>",
      };
    });
    try {
      const target = createAzureTarget({
        container: CONTAINER,
        prefix: freshPrefix("az-refuse"),
        storageOptions: {
          accountName: azurite.accountName,
          accountKey: azurite.accountKey,
          url: `${proxy.endpoint}${upstream.pathname}`,
        },
      });
      await writeKeys(target, ["a.json", "b.json", "c.json"]);
      await target.deleteMany(["a.json", "b.json", "missing.json"]);
      expect(refused).toBe(1);
      expect(target.capabilities.batchDelete).toBe(false);
      expect(await allKeys(target)).toEqual(["c.json"]);
      const counting = new CountingTarget(target);
      await counting.deleteMany(["c.json", "d.json"]);
      expect(refused).toBe(1);
      expect(counting.counts).toMatchObject({ delete: 2, deleteMany: 0 });
      expect(await allKeys(target)).toEqual([]);
      await target.close();
    } finally {
      await proxy.close();
    }
  });
});

/** A batch answer in which every call got `status` (what GCS sends when a part fails). */
function batchAnswer(requestBody: Buffer, status: number, message: string): Reply {
  const ids = [...requestBody.toString("utf8").matchAll(/^Content-ID: <(.+)>\r$/gm)].map(
    (m) => m[1],
  );
  const boundary = "batch_test";
  const error = JSON.stringify({ error: { code: status, message, errors: [{ message }] } });
  let body = "";
  for (const id of ids) {
    body +=
      `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-${id}>\r\n\r\n` +
      `HTTP/1.1 ${status} X\r\nContent-Type: application/json; charset=UTF-8\r\n` +
      `Content-Length: ${error.length}\r\n\r\n${error}\r\n`;
  }
  body += `--${boundary}--\r\n`;
  return {
    status: 200,
    headers: { "content-type": `multipart/mixed; boundary=${boundary}` },
    body,
  };
}

describe("gcs deleteMany on the GCS test server", () => {
  /** A GCS target that reaches the test server through `proxy`. */
  const throughProxy = (proxy: { endpoint: string }, label: string, extra = {}) =>
    createGcsTarget({
      bucket: BUCKET,
      prefix: freshPrefix(label),
      storageOptions: { apiEndpoint: proxy.endpoint, projectId: gcs.projectId },
      ...extra,
    });

  it("gcs: a batch whose calls answer 503 is retried as a whole", async () => {
    let failedOnce = 0;
    const proxy = await startProxy(gcs.apiEndpoint, (method, url, body) => {
      if (method !== "POST" || !url.startsWith("/batch/storage/v1") || failedOnce > 0)
        return undefined;
      failedOnce++;
      return batchAnswer(body, 503, "Backend Error");
    });
    try {
      const target = throughProxy(proxy, "gcs-503", { retryBaseDelayMs: 5 });
      await writeKeys(target, ["a.json", "b.json"]);
      const before = proxy.forwarded();
      await target.deleteMany(["a.json", "b.json", "c.json"]);
      expect(failedOnce).toBe(1);
      expect(proxy.forwarded() - before).toBe(1); // the retry reached the server
      expect(await allKeys(target)).toEqual([]);
      expect(target.capabilities.batchDelete).toBe(true);
      await target.close();
    } finally {
      await proxy.close();
    }
  });

  it("gcs: a 403 for a call surfaces without retries", async () => {
    let answered = 0;
    const proxy = await startProxy(gcs.apiEndpoint, (method, url, body) => {
      if (method !== "POST" || !url.startsWith("/batch/storage/v1")) return undefined;
      answered++;
      return batchAnswer(body, 403, "caller does not have storage.objects.delete access");
    });
    try {
      const target = throughProxy(proxy, "gcs-403", { retryBaseDelayMs: 5 });
      const error = await target.deleteMany(["a.json"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toMatch(
        /failed after 1 attempt: .*1 of 1 batched deletes failed; DELETE ".*a\.json": caller does not have/,
      );
      expect(answered).toBe(1);
      await target.close();
    } finally {
      await proxy.close();
    }
  });

  it("gcs: an endpoint without /batch/storage/v1 (404) gets one DELETE per key from then on", async () => {
    let refused = 0;
    const proxy = await startProxy(gcs.apiEndpoint, (_method, url) => {
      if (!url.startsWith("/batch/")) return undefined;
      refused++;
      return { status: 404, headers: { "content-type": "text/plain" }, body: "Not Found" };
    });
    try {
      const target = throughProxy(proxy, "gcs-nobatch");
      await writeKeys(target, ["a.json", "b.json", "c.json"]);
      await target.deleteMany(["a.json", "b.json", "missing.json"]);
      expect(refused).toBe(1);
      expect(target.capabilities.batchDelete).toBe(false);
      const counting = new CountingTarget(target);
      await counting.deleteMany(["c.json"]);
      expect(counting.counts).toMatchObject({ delete: 1, deleteMany: 0 });
      expect(refused).toBe(1);
      expect(await allKeys(target)).toEqual([]);
      await target.close();
    } finally {
      await proxy.close();
    }
  });
});

describe("batch helpers", () => {
  it("a transient failure is thrown first (so the batch is retried), else the first one", () => {
    const forbidden = new BatchPartError("a", 403);
    const busy = new BatchPartError("b", 503);
    const unanswered = new BatchPartError("c", undefined);
    expect(batchFailure([forbidden, busy], isTransientError)).toBe(busy);
    expect(batchFailure([unanswered, forbidden], isTransientError)).toBe(unanswered);
    expect(batchFailure([], isTransientError)).toBeUndefined();
  });

  it("gcs batch bodies: path-only DELETEs, names percent-encoded; answers matched by Content-ID", () => {
    const { contentType, body } = deleteBatchRequest("", "b", ["dir/a b.json", "ü"]);
    const boundary = /boundary=(\S+)/.exec(contentType)?.[1] as string;
    expect(body).toContain("DELETE /storage/v1/b/b/o/dir%2Fa%20b.json HTTP/1.1\r\n");
    expect(body).toContain("DELETE /storage/v1/b/b/o/%C3%BC HTTP/1.1\r\n");
    expect(body.endsWith(`--${boundary}--\r\n`)).toBe(true);
    // Answers out of order, one missing: matched by Content-ID, the gap stays empty.
    const answer =
      "--x\r\nContent-Type: application/http\r\nContent-ID: <response-omniq+1>\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n{}\r\n" +
      "--x--\r\n";
    expect(parseBatchResponse("multipart/mixed; boundary=x", answer, 2)).toEqual([
      undefined,
      { status: 404, body: "{}" },
    ]);
    expect(() => parseBatchResponse("application/json", "{}", 1)).toThrow(/multipart\/mixed/);
  });
});
