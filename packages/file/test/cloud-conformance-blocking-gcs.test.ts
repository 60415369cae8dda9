/**
 * The blocking twins (FileQueue / FileResultStorage / FileEventStorage) through the core
 * blocking conformance suites on Google Cloud Storage (the GCS JSON-API test server, the real
 * SDK), and the blocking event storage on S3 (s3rver behind its conditional-write layer). Both
 * servers run in child processes: a blocking call parks this thread with Atomics.wait, and
 * these servers answer from the event loop of the process that started them. The other
 * blocking suites are in cloud-conformance.test.ts (S3 queue and results) and
 * cloud-conformance-azure-blocking.test.ts (Azure, all three).
 */
import {
  blockingEventStorageConformance,
  blockingQueueConformance,
  blockingResultStorageConformance,
} from "@omniq/core/testing";
import { afterAll, beforeAll } from "vitest";
// The blocking twins rebuild the async classes in a worker thread that imports the built files.
import { FileEventStorage, FileQueue, FileResultStorage } from "../dist/index.js";
import { forkServer, type ServerChild, s3OptionsOf } from "./cloud-server-child.js";

const BUCKET = "omniq-cloud-blocking";
let gcs: ServerChild | undefined;
let s3: ServerChild | undefined;

let n = 0;
/** A fresh, empty store per `create()`: a prefix no other case uses. */
const fresh = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++n}`;
const gcsWhere = (label: string) => ({
  url: `gs://${BUCKET}/${fresh(label)}`,
  storageOptions: { apiEndpoint: gcs!.info.apiEndpoint, projectId: gcs!.info.projectId },
});
const s3Where = (label: string) => ({
  url: `s3://${BUCKET}/${fresh(label)}`,
  storageOptions: s3OptionsOf(s3!.info),
});

beforeAll(async () => {
  [gcs, s3] = await Promise.all([forkServer("gcs", [BUCKET]), forkServer("s3", [BUCKET])]);
});

afterAll(async () => {
  await Promise.all([gcs?.stop(), s3?.stop()]);
});

blockingQueueConformance({
  name: "file/gcs (blocking)",
  create: () => new FileQueue(gcsWhere("bq")),
  capabilities: { crossProcessClaims: true },
});
blockingResultStorageConformance({
  name: "file/gcs (blocking)",
  create: () => new FileResultStorage(gcsWhere("br")),
});
blockingEventStorageConformance({
  name: "file/gcs (blocking)",
  create: () => new FileEventStorage(gcsWhere("be")),
});
blockingEventStorageConformance({
  name: "file/s3 (blocking)",
  create: () => new FileEventStorage(s3Where("be")),
});
