import { Storage } from "@google-cloud/storage";
import { type GcsServer, startGcs } from "@omniq/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTarget } from "../src/targets/create-target.js";
import { createGcsTarget, type GcsClientLike, GcsTarget } from "../src/targets/gcs-target.js";
import { type CloudHarness, cloudTargetCases, freshPrefix } from "./cloud-target-cases.js";
import { targetConformance } from "./target-conformance.js";

const BUCKET = "omniq-gcs-target";
const NOT_INSTALLED = "@omniq/not-installed-sdk-for-tests";
// A custom apiEndpoint skips authentication, so these are never sent; they must still never
// show up in a message.
const PRIVATE_KEY =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7never\n-----END PRIVATE KEY-----\n";

let gcs: GcsServer;

function storageOptions() {
  return { apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId };
}

const harness: CloudHarness = {
  target: (options = {}) =>
    createGcsTarget({
      bucket: BUCKET,
      prefix: options.prefix ?? freshPrefix("gcs"),
      storageOptions: storageOptions(),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
    }),
  async countRequests(fn) {
    gcs.resetRequestCount();
    await fn();
    return gcs.requestCount();
  },
  restart: (downtimeMs) => gcs.restart({ downtimeMs }),
  targetAt: (apiEndpoint, retry) =>
    createGcsTarget({
      bucket: BUCKET,
      storageOptions: { apiEndpoint, projectId: gcs.projectId },
      ...retry,
    }),
  restartRetries: 5,
  failingTargets: () => [
    {
      target: createGcsTarget({
        bucket: "omniq-no-such-bucket",
        storageOptions: {
          ...storageOptions(),
          credentials: {
            client_email: "omniq@example.iam.gserviceaccount.com",
            private_key: PRIVATE_KEY,
          },
        },
      }),
      secrets: [PRIVATE_KEY, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7never"],
    },
  ],
  missingSdkTarget: () => createGcsTarget({ bucket: BUCKET, loadSdk: () => import(NOT_INSTALLED) }),
  sdkPackage: "@google-cloud/storage",
  urlOptions: (prefix) => ({ url: `gs://${BUCKET}/${prefix}`, storageOptions: storageOptions() }),
};

beforeAll(async () => {
  gcs = await startGcs();
  await gcs.bucket(BUCKET);
});

afterAll(async () => {
  await gcs?.stop();
});

describe("GcsTarget on the GCS JSON-API test server", () => {
  targetConformance("gcs", () => harness.target(), { crossProcess: true });
  cloudTargetCases("gcs", () => harness);

  it("gcs: versions are generations and grow with each write", async () => {
    const t = harness.target();
    const v1 = await t.write("g.json", new TextEncoder().encode("1"));
    const v2 = await t.write("g.json", new TextEncoder().encode("1"));
    expect(v1).toMatch(/^\d+$/);
    expect(BigInt(v2)).toBeGreaterThan(BigInt(v1));
    // Same bytes, new generation: a stale version loses even when the content is equal.
    expect(await t.writeIfVersion("g.json", new TextEncoder().encode("1"), v1)).toBeNull();
    await t.close();
  });

  it("gcs: full pages with startAfter (startOffset is inclusive, the start key is dropped)", async () => {
    const t = harness.target();
    for (const k of ["s/1", "s/2", "s/3", "s/4"]) await t.write(k, new Uint8Array([1]));
    const page = await t.list({ prefix: "s/", startAfter: "s/1", limit: 2 });
    expect(page.entries.map((e) => e.key)).toEqual(["s/2", "s/3"]);
    expect(page.cursor).not.toBeNull();
    const next = await t.list({ prefix: "s/", cursor: page.cursor });
    expect(next.entries.map((e) => e.key)).toEqual(["s/4"]);
    expect(next.cursor).toBeNull();
    await expect(t.list({ prefix: "s/", cursor: "bogus" })).rejects.toMatchObject({
      code: "validation",
    });
    await t.close();
  });

  it("gcs: builds from a structured-cloned spec through createTarget (the worker-thread path)", async () => {
    const prefix = freshPrefix("spec");
    const spec = structuredClone({
      kind: "gcs" as const,
      bucket: BUCKET,
      prefix,
      storageOptions: storageOptions(),
    });
    const t = await createTarget(spec);
    expect(t).toBeInstanceOf(GcsTarget);
    const v = await t.write("a.json", new TextEncoder().encode("x"));
    expect((await harness.target({ prefix }).read("a.json"))?.version).toBe(v);
    await t.close();
  });

  it("gcs: takes a user-configured Storage client", async () => {
    const client = new Storage({ apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId });
    const typed: GcsClientLike = client; // the structural type accepts the real client
    const prefix = freshPrefix("client");
    const t = new GcsTarget({ bucket: BUCKET, prefix, client: typed });
    const v = await t.writeIfAbsent("a.json", new TextEncoder().encode("x"));
    expect(v).not.toBeNull();
    expect((await harness.target({ prefix }).read("a.json"))?.version).toBe(v);
    expect(t.id).toBe(`gcs:${gcs.apiEndpoint}/${BUCKET}/${prefix}`);
    expect(new GcsTarget({ bucket: "b", client: new Storage() }).id).toBe("gcs:b");
    await t.close();
  });
});
