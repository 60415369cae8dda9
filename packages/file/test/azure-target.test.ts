import { subscribe } from "node:diagnostics_channel";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { type AzuriteServer, startAzurite } from "@omniq/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AzureTarget,
  type AzureBlobServiceClientLike,
  createAzureTarget,
} from "../src/targets/azure-target.js";
import { createTarget } from "../src/targets/create-target.js";
import { type CloudHarness, cloudTargetCases, freshPrefix } from "./cloud-target-cases.js";
import { targetConformance } from "./target-conformance.js";

const CONTAINER = "omniq-azure-target";
const NOT_INSTALLED = "@omniq/not-installed-sdk-for-tests";

let azurite: AzuriteServer;

// Azurite does not count requests; count the HTTP requests this process starts instead
// (the SDK is the only HTTP client running during a count).
let httpRequests = 0;
subscribe("http.client.request.start", () => {
  httpRequests++;
});

function sas(container: string): string {
  return generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse("racwdl"),
      expiresOn: new Date(Date.now() + 3_600_000),
    },
    new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey),
  ).toString();
}

const harness: CloudHarness = {
  target: (options = {}) =>
    createAzureTarget({
      container: CONTAINER,
      prefix: options.prefix ?? freshPrefix("az"),
      storageOptions: { connectionString: azurite.connectionString },
      ...(options.retries === undefined ? {} : { retries: options.retries }),
    }),
  async countRequests(fn) {
    const before = httpRequests;
    await fn();
    return httpRequests - before;
  },
  restart: (downtimeMs) => azurite.restart({ downtimeMs }),
  targetAt: (endpoint, retry) =>
    createAzureTarget({
      container: CONTAINER,
      storageOptions: {
        accountName: azurite.accountName,
        accountKey: azurite.accountKey,
        url: `${endpoint}/${azurite.accountName}`,
      },
      ...retry,
    }),
  // Azurite takes a while to stop and start again on top of the downtime.
  restartRetries: 12,
  failingTargets: () => {
    const token = sas("omniq-no-such-container");
    const sig = new URLSearchParams(token).get("sig") ?? "";
    return [
      {
        target: createAzureTarget({
          container: "omniq-no-such-container",
          storageOptions: { connectionString: azurite.connectionString },
        }),
        secrets: [azurite.accountKey, azurite.connectionString],
      },
      {
        target: createAzureTarget({
          container: "omniq-no-such-container",
          storageOptions: {
            accountName: azurite.accountName,
            accountKey: azurite.accountKey,
            url: azurite.url,
          },
        }),
        secrets: [azurite.accountKey],
      },
      {
        target: createAzureTarget({
          container: "omniq-no-such-container",
          storageOptions: { url: azurite.url, sasToken: token },
        }),
        secrets: [sig, encodeURIComponent(sig), token],
      },
    ];
  },
  missingSdkTarget: () =>
    createAzureTarget({
      container: CONTAINER,
      storageOptions: { connectionString: "UseDevelopmentStorage=true" },
      loadSdk: () => import(NOT_INSTALLED),
    }),
  sdkPackage: "@azure/storage-blob",
  urlOptions: (prefix) => ({
    url: `azure://${CONTAINER}/${prefix}`,
    storageOptions: { connectionString: azurite.connectionString },
  }),
};

beforeAll(async () => {
  azurite = await startAzurite();
  await BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient(CONTAINER)
    .create();
});

afterAll(async () => {
  await azurite?.stop();
});

describe("AzureTarget on Azurite", () => {
  targetConformance("azure", () => harness.target(), { crossProcess: true });
  cloudTargetCases("azure", () => harness);

  it("azure: works with account name + key and with a SAS token, from plain options", async () => {
    const prefix = freshPrefix("creds");
    const byKey = createAzureTarget({
      container: CONTAINER,
      prefix,
      storageOptions: {
        accountName: azurite.accountName,
        accountKey: azurite.accountKey,
        url: azurite.url,
      },
    });
    const v = await byKey.write("a.json", new TextEncoder().encode("k"));
    const bySas = createAzureTarget({
      container: CONTAINER,
      prefix,
      storageOptions: { url: azurite.url, sasToken: `?${sas(CONTAINER)}` },
    });
    expect((await bySas.read("a.json"))?.version).toBe(v);
    expect(bySas.id).toBe(byKey.id);
    expect(bySas.id).not.toContain("sig=");
    await byKey.close();
    await bySas.close();
  });

  it("azure: takes a user-configured BlobServiceClient", async () => {
    const client = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const typed: AzureBlobServiceClientLike = client; // the structural type accepts it
    const prefix = freshPrefix("client");
    const t = new AzureTarget({ container: CONTAINER, prefix, client: typed });
    const v = await t.writeIfAbsent("a.json", new TextEncoder().encode("x"));
    expect(v).not.toBeNull();
    expect((await harness.target({ prefix }).read("a.json"))?.version).toBe(v);
    expect(t.id).toBe(`azure:${azurite.url}/${CONTAINER}/${prefix}`);
    await t.close();
  });

  it("azure: without any credentials it is a ConfigError naming storageOptions", async () => {
    const saved = process.env.AZURE_STORAGE_CONNECTION_STRING;
    delete process.env.AZURE_STORAGE_CONNECTION_STRING;
    try {
      const t = createAzureTarget({ container: CONTAINER });
      await expect(t.read("a.json")).rejects.toMatchObject({
        code: "config",
        key: "storageOptions",
      });
    } finally {
      if (saved !== undefined) process.env.AZURE_STORAGE_CONNECTION_STRING = saved;
    }
  });

  it("azure: builds from a structured-cloned spec through createTarget (the worker-thread path)", async () => {
    const prefix = freshPrefix("spec");
    const spec = structuredClone({
      kind: "azure" as const,
      bucket: CONTAINER,
      prefix,
      storageOptions: { connectionString: azurite.connectionString },
    });
    const t = await createTarget(spec);
    expect(t).toBeInstanceOf(AzureTarget);
    const v = await t.write("a.json", new TextEncoder().encode("x"));
    expect((await harness.target({ prefix }).read("a.json"))?.version).toBe(v);
    await t.close();
  });

  it("azure: refuses an invalid container name", () => {
    expect(() => createAzureTarget({ container: "ab" })).toThrow(/container/);
    expect(() => createAzureTarget({ container: "Upper" })).toThrow(/container/);
  });
});
