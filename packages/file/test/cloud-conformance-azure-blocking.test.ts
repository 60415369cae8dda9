/**
 * The blocking twins (FileQueue / FileResultStorage / FileEventStorage) through the core
 * blocking conformance suites on Azure Blob Storage (Azurite, the real SDK). Azurite is a child
 * process, so a blocking call parking this thread does not stop the server from answering.
 * The async suites on all three clouds and the blocking queue and results suites on S3 are in
 * cloud-conformance.test.ts (split for time: see there).
 */
import { BlobServiceClient } from "@azure/storage-blob";
import {
  blockingEventStorageConformance,
  blockingQueueConformance,
  blockingResultStorageConformance,
} from "@omniq/core/testing";
import { type AzuriteServer, startAzurite } from "@omniq/test-utils";
import { afterAll, beforeAll } from "vitest";
// The blocking twins rebuild the async classes in a worker thread that imports the built files.
import { FileEventStorage, FileQueue, FileResultStorage } from "../dist/index.js";

const CONTAINER = "omniq-cloud-blocking";
let azurite: AzuriteServer;

let n = 0;
/** A fresh, empty store per `create()`: a prefix no other case uses. */
const where = (label: string) => ({
  url: `azure://${CONTAINER}/${label}-${process.pid}-${Date.now().toString(36)}-${++n}`,
  storageOptions: { connectionString: azurite.connectionString },
});

beforeAll(async () => {
  azurite = await startAzurite();
  await BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient(CONTAINER)
    .create();
});

afterAll(async () => {
  await azurite?.stop();
});

blockingQueueConformance({
  name: "file/azure (blocking)",
  create: () => new FileQueue(where("bq")),
  capabilities: { crossProcessClaims: true },
});
blockingResultStorageConformance({
  name: "file/azure (blocking)",
  create: () => new FileResultStorage(where("br")),
});
blockingEventStorageConformance({
  name: "file/azure (blocking)",
  create: () => new FileEventStorage(where("be")),
});
