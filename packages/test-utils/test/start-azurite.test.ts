import { connect } from "node:net";
import { BlobServiceClient, RestError } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzuriteServer, startAzurite } from "../src/index.js";

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function restError(fn: () => Promise<unknown>): Promise<RestError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof RestError) return err;
    throw err;
  }
  throw new Error("expected a RestError");
}

describe("startAzurite", () => {
  let az: AzuriteServer;
  let service: BlobServiceClient;

  beforeAll(async () => {
    az = await startAzurite();
    service = BlobServiceClient.fromConnectionString(az.connectionString);
    await service.getContainerClient("omniq").create();
  });

  afterAll(async () => {
    await az?.stop();
  });

  it("serves the devstoreaccount1 blob endpoint on 127.0.0.1", () => {
    expect(az.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect(az.accountName).toBe("devstoreaccount1");
    expect(az.connectionString).toContain(`BlobEndpoint=${az.url};`);
  });

  it("enforces conditional writes (Azurite's own semantics)", async () => {
    const blob = service.getContainerClient("omniq").getBlockBlobClient("task.json");
    const first = await blob.upload("v1", 2, { conditions: { ifNoneMatch: "*" } });
    const again = await restError(() => blob.upload("v2", 2, { conditions: { ifNoneMatch: "*" } }));
    expect(again.statusCode).toBe(409); // BlobAlreadyExists
    const stale = await restError(() => blob.upload("v2", 2, { conditions: { ifMatch: '"0x0"' } }));
    expect(stale.statusCode).toBe(412);
    await blob.upload("v2", 2, { conditions: { ifMatch: first.etag } });
    expect((await blob.downloadToBuffer()).toString()).toBe("v2");
  });

  it("restart keeps data on the same port", async () => {
    const container = service.getContainerClient("omniq");
    await container.getBlockBlobClient("durable.txt").upload("kept", 4);
    const url = az.url;
    await az.restart({ downtimeMs: 100 });
    expect(az.url).toBe(url);
    const data = await container.getBlockBlobClient("durable.txt").downloadToBuffer();
    expect(data.toString()).toBe("kept");
  });

  it("is unreachable while down and after stop", async () => {
    const other = await startAzurite();
    expect(await portOpen(other.url)).toBe(true);
    const restarting = other.restart({ downtimeMs: 300 });
    await new Promise((r) => setTimeout(r, 150));
    expect(await portOpen(other.url)).toBe(false);
    await restarting;
    expect(await portOpen(other.url)).toBe(true);
    await other.stop();
    expect(await portOpen(other.url)).toBe(false);
  });
});
