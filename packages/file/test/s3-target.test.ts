import { S3Client } from "@aws-sdk/client-s3";
import { type S3Server, startS3 } from "@omniq/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTarget } from "../src/targets/create-target.js";
import { createS3Target, S3Target, type S3ClientLike } from "../src/targets/s3-target.js";
import { type CloudHarness, cloudTargetCases, freshPrefix } from "./cloud-target-cases.js";
import { targetConformance } from "./target-conformance.js";

const BUCKET = "omniq-s3-target";
// s3rver accepts any signature made with key id S3RVER, so the secret can be anything.
const SECRET = "s3-SECRET-never-in-messages-7f3a";
const TOKEN = "s3-SESSION-TOKEN-never-in-messages-91c2";
const NOT_INSTALLED = "@omniq/not-installed-sdk-for-tests";

let s3: S3Server;

function storageOptions() {
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: SECRET },
  };
}

const harness: CloudHarness = {
  target: (options = {}) =>
    createS3Target({
      bucket: BUCKET,
      prefix: options.prefix ?? freshPrefix("s3"),
      storageOptions: storageOptions(),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
    }),
  async countRequests(fn) {
    s3.resetRequestCount();
    await fn();
    return s3.requestCount();
  },
  restart: (downtimeMs) => s3.restart({ downtimeMs }),
  targetAt: (endpoint, retry) =>
    createS3Target({
      bucket: BUCKET,
      storageOptions: { ...storageOptions(), endpoint },
      ...retry,
    }),
  restartRetries: 5,
  failingTargets: () => [
    {
      target: createS3Target({
        bucket: "omniq-no-such-bucket",
        storageOptions: { ...storageOptions(), sessionToken: TOKEN, accessKeyId: "S3RVER" },
      }),
      secrets: [SECRET, TOKEN],
    },
    {
      target: createS3Target({
        bucket: BUCKET,
        retries: 0,
        storageOptions: {
          endpoint: "http://127.0.0.1:9", // nothing listens: ECONNREFUSED
          region: s3.region,
          forcePathStyle: true,
          accessKeyId: "AKIAEXAMPLEKEYID",
          secretAccessKey: SECRET,
          sessionToken: TOKEN,
        },
      }),
      secrets: [SECRET, TOKEN],
    },
  ],
  missingSdkTarget: () => createS3Target({ bucket: BUCKET, loadSdk: () => import(NOT_INSTALLED) }),
  sdkPackage: "@aws-sdk/client-s3",
  urlOptions: (prefix) => ({ url: `s3://${BUCKET}/${prefix}`, storageOptions: storageOptions() }),
};

beforeAll(async () => {
  s3 = await startS3();
  await s3.bucket(BUCKET);
});

afterAll(async () => {
  await s3?.stop();
});

describe("S3Target on s3rver behind the conditional-write layer", () => {
  targetConformance("s3", () => harness.target(), { crossProcess: true });
  cloudTargetCases("s3", () => harness);

  it("s3: takes a user-configured S3Client and leaves it open on close()", async () => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const typed: S3ClientLike = client; // the structural type accepts the real client
    const prefix = freshPrefix("client");
    const t = new S3Target({ bucket: BUCKET, prefix, client: typed });
    const v = await t.write("a.json", new TextEncoder().encode("x"));
    await t.close();
    // Same objects through a target built from plain options.
    const other = harness.target({ prefix });
    expect((await other.read("a.json"))?.version).toBe(v);
    const again = new S3Target({ bucket: BUCKET, prefix, client });
    expect((await again.read("a.json"))?.version).toBe(v); // client still usable
    await other.close();
    client.destroy();
  });

  it("s3: id names endpoint, bucket and prefix, never the credentials", () => {
    const t = harness.target({ prefix: "/jobs/prod/" });
    expect(t.id).toBe(`s3:${s3.endpoint}/${BUCKET}/jobs/prod`);
    expect(t.id).not.toContain(SECRET);
    expect(new S3Target({ bucket: "b", client: {} as S3ClientLike }).id).toBe("s3:b");
  });

  it("s3: builds from a structured-cloned spec through createTarget (the worker-thread path)", async () => {
    const prefix = freshPrefix("spec");
    const spec = structuredClone({
      kind: "s3" as const,
      bucket: BUCKET,
      prefix,
      storageOptions: { ...storageOptions(), retries: 2 },
    });
    const t = await createTarget(spec);
    expect(t).toBeInstanceOf(S3Target);
    const v = await t.write("a.json", new TextEncoder().encode("x"));
    expect((await harness.target({ prefix }).read("a.json"))?.version).toBe(v);
    await t.close();
  });

  it("s3: refuses a bucket with a slash", () => {
    expect(() => createS3Target({ bucket: "a/b" })).toThrow(/bucket/);
  });
});
