/**
 * The core conformance suites on the cloud targets, against the test servers of
 * `@omniq/test-utils` (s3rver behind its conditional-write layer, Azurite, the GCS JSON-API
 * server) and the real SDKs. Every `create()` gets a fresh prefix, so every case starts empty.
 *
 * Async (AsyncFileQueue / AsyncFileResultStorage / AsyncFileEventStorage): all three suites on
 * S3, Azure and GCS.
 *
 * Blocking twins (FileQueue / FileResultStorage / FileEventStorage): queue and results on S3
 * here; all three on Azure in cloud-conformance-azure-blocking.test.ts; all three on GCS and
 * events on S3 in cloud-conformance-blocking-gcs.test.ts. A blocking case costs ~0.5-0.7 s on
 * 2 cores, mostly starting its worker thread and loading the SDK in it, so all of them in one
 * file would take minutes: this split keeps each file under ~90 s, and every blocking suite
 * runs on every cloud.
 * A blocking call parks the calling thread (Atomics.wait) until its worker thread answers, so
 * the server must not answer from this thread's event loop: startS3's conditional-write layer
 * does (it lives in the process that called startS3), so this file runs S3 in a child process
 * (fixtures/cloud-server.mjs), for the async suites too.
 */
import { BlobServiceClient } from "@azure/storage-blob";
import {
  blockingQueueConformance,
  blockingResultStorageConformance,
  eventStorageConformance,
  queueConformance,
  resultStorageConformance,
} from "@omniq/core/testing";
import { type AzuriteServer, type GcsServer, startAzurite, startGcs } from "@omniq/test-utils";
import { afterAll, beforeAll } from "vitest";
// The blocking twins rebuild the async classes in a worker thread that imports the built files.
import { FileQueue, FileResultStorage } from "../dist/index.js";
import { AsyncFileEventStorage, AsyncFileQueue, AsyncFileResultStorage } from "../src/index.js";
import { forkServer, type ServerChild, s3OptionsOf } from "./cloud-server-child.js";

const BUCKET = "omniq-cloud-conformance";

let azurite: AzuriteServer;
let gcs: GcsServer;
let s3Child: ServerChild | undefined;
let s3Options: Record<string, unknown>;

let n = 0;
/** A prefix no other case (or run) uses: each `create()` gets an empty store. */
const fresh = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++n}`;

type Where = { url: string; storageOptions: Record<string, unknown> };
const s3Where = (label: string): Where => ({
  url: `s3://${BUCKET}/${fresh(label)}`,
  storageOptions: s3Options,
});
const azureWhere = (label: string): Where => ({
  url: `azure://${BUCKET}/${fresh(label)}`,
  storageOptions: { connectionString: azurite.connectionString },
});
const gcsWhere = (label: string): Where => ({
  url: `gs://${BUCKET}/${fresh(label)}`,
  storageOptions: { apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId },
});

beforeAll(async () => {
  const [a, b, c] = await Promise.all([forkServer("s3", [BUCKET]), startAzurite(), startGcs()]);
  s3Child = a;
  azurite = b;
  gcs = c;
  s3Options = s3OptionsOf(a.info);
  await gcs.bucket(BUCKET);
  // The Azure target expects its container to exist.
  await BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient(BUCKET)
    .createIfNotExists();
});

afterAll(async () => {
  await Promise.all([azurite?.stop(), gcs?.stop(), s3Child?.stop()]);
});

// --- async components on all three clouds ------------------------------------------------

const clouds: Array<[string, (label: string) => Where]> = [
  ["s3", s3Where],
  ["azure", azureWhere],
  ["gcs", gcsWhere],
];

for (const [kind, where] of clouds) {
  queueConformance({
    name: `file/${kind}`,
    create: () => new AsyncFileQueue(where("q")),
    capabilities: { crossProcessClaims: true },
  });
  resultStorageConformance({
    name: `file/${kind}`,
    create: () => new AsyncFileResultStorage(where("r")),
  });
  eventStorageConformance({
    name: `file/${kind}`,
    create: () => new AsyncFileEventStorage(where("e")),
  });
}

// --- blocking twins on S3 (its server in a child process): queue and results -------------

blockingQueueConformance({
  name: "file/s3 (blocking)",
  create: () => new FileQueue(s3Where("bq")),
  capabilities: { crossProcessClaims: true },
});
blockingResultStorageConformance({
  name: "file/s3 (blocking)",
  create: () => new FileResultStorage(s3Where("br")),
});
