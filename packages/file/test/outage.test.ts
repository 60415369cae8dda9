/**
 * Storage outages while a worker runs: an AsyncOmniQ worker on AsyncFileQueue (and
 * AsyncFileResultStorage) over S3, then over Azure Blob Storage, processes 200 tasks while the
 * server (s3rver and its conditional-write layer; Azurite) is stopped and started again, twice: once briefly (the target's
 * retries ride it out) and once for longer than the target retries (claims, completions and
 * heartbeats fail with BackendError; the worker must log, keep going, and get every task done
 * through its retries and the expired-lease sweep). Every task must end `success` with its
 * result stored, none lost.
 */
import { AsyncOmniQ, type Logger } from "@omniq/core";
import { BlobServiceClient } from "@azure/storage-blob";
import { type AzuriteServer, type S3Server, startAzurite, startS3 } from "@omniq/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncFileQueue, AsyncFileResultStorage } from "../src/index.js";

const BUCKET = "omniq-outage";
const TASKS = 200;

let s3: S3Server;
let azurite: AzuriteServer;

beforeAll(async () => {
  [s3, azurite] = await Promise.all([startS3(), startAzurite()]);
  await s3.bucket(BUCKET);
  await BlobServiceClient.fromConnectionString(azurite.connectionString)
    .getContainerClient(BUCKET)
    .createIfNotExists();
});

afterAll(async () => {
  await Promise.all([s3?.stop(), azurite?.stop()]);
});

// Short retry budget (~0.3-0.6 s in all) so that the long outage outlasts it.
const RETRY = { retries: 3, retryBaseDelayMs: 50, retryMaxDelayMs: 200, timeoutMs: 5_000 };
const prefix = () => `outage-${process.pid}-${Date.now().toString(36)}`;

const servers: Array<{
  name: string;
  where: () => { url: string; storageOptions: Record<string, unknown> };
  restart: (downtimeMs: number) => Promise<void>;
}> = [
  {
    name: "S3",
    where: () => ({
      url: `s3://${BUCKET}/${prefix()}`,
      storageOptions: {
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        ...RETRY,
      },
    }),
    restart: (downtimeMs) => s3.restart({ downtimeMs }),
  },
  {
    name: "Azure",
    where: () => ({
      url: `azure://${BUCKET}/${prefix()}`,
      storageOptions: { connectionString: azurite.connectionString, ...RETRY },
    }),
    restart: (downtimeMs) => azurite.restart({ downtimeMs }),
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Collects warn/error log records (the worker reports failed claims and completions there). */
function recordingLogger(): Logger & { problems: string[] } {
  const problems: string[] = [];
  const keep = (obj: object | string, msg?: string) => {
    problems.push(typeof obj === "string" ? obj : (msg ?? ""));
  };
  return { problems, debug: () => {}, info: () => {}, warn: keep, error: keep };
}

describe.each(servers)("$name outage while a worker runs", (server) => {
  it("the worker survives two server restarts and every task ends success, none lost", async () => {
    const where = server.where();
    const logger = recordingLogger();
    const omniq = new AsyncOmniQ({
      queue: new AsyncFileQueue(where),
      results: new AsyncFileResultStorage(where),
      logger,
    });
    const runs = new Map<number, number>();
    const work = omniq.task("work", async (i: number) => {
      await sleep(10);
      runs.set(i, (runs.get(i) ?? 0) + 1);
      return i * 2;
    });
    const done = () => runs.size;
    try {
      const handles = [];
      for (let i = 0; i < TASKS; i += 50) {
        const batch = Array.from({ length: Math.min(50, TASKS - i) }, (_, j) =>
          work.enqueue(i + j),
        );
        handles.push(...(await Promise.all(batch)));
      }
      const worker = omniq.worker({
        concurrency: 8,
        leaseMs: 3_000,
        pollIntervalMs: { min: 5, max: 100 },
        maintenanceMs: 250,
        gracefulStopMs: 2_000,
      });
      await worker.start();

      // Outage 1: short, inside the target's retries.
      await waitFor(() => done() >= 40, "40 tasks done before the first outage", 60_000);
      await server.restart(300);
      expect(worker.state).toBe("running");

      // Outage 2: longer than the target's retries: requests fail, the worker carries on.
      await waitFor(() => done() >= 100, "100 tasks done before the second outage", 60_000);
      const before = done();
      await server.restart(2_500);
      expect(worker.state).toBe("running");
      await waitFor(() => done() > before, "a task done after the second outage", 30_000);

      await waitFor(() => done() === TASKS, "every task run", 90_000);
      // Runs whose completion was lost in the outage are re-run after their lease: wait until
      // nothing is pending or running any more.
      let open = TASKS;
      const end = Date.now() + 60_000;
      while (open > 0 && Date.now() < end) {
        open = await omniq.queue.count({ statuses: ["pending", "running"] });
        if (open > 0) await sleep(200);
      }
      expect(open).toBe(0);
      expect(worker.state).toBe("running");
      await worker.stop();
      const stats = worker.stats;

      const statuses = await Promise.all(handles.map(async (h) => (await omniq.get(h.id))?.status));
      expect(statuses.filter((s) => s !== "success")).toEqual([]);
      expect(await omniq.queue.count({ statuses: ["success"] })).toBe(TASKS);
      expect(await omniq.queue.count()).toBe(TASKS);
      const results = await Promise.all(handles.map((h) => omniq.results!.get(h.id)));
      results.forEach((r, i) => {
        expect(r, `result of task ${i}`).toMatchObject({ status: "success", value: i * 2 });
      });
      // Every task ran; a run whose completion the outage swallowed may have run again.
      expect([...runs.keys()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: TASKS }, (_, i) => i),
      );
      const reruns = [...runs.values()].reduce((a, b) => a + b, 0) - TASKS;
      console.log(
        `${server.name} outage: ${TASKS} tasks, ${reruns} re-runs, ${logger.problems.length} warnings/errors logged (${[...new Set(logger.problems)].join("; ")}), worker stats ${JSON.stringify(stats)}`,
      );
      // The long outage was felt (requests failed and were reported), and survived.
      expect(logger.problems.length).toBeGreaterThan(0);
    } finally {
      await omniq.close();
    }
  }, 180_000);
});
