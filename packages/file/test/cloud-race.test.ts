/**
 * The cross-process claim race on the cloud targets: 4 OS processes, each with its own
 * AsyncFileQueue (fixtures/cloud-factory.mjs), race for the same tasks on S3 (s3rver behind the
 * conditional-write layer), Azure (Azurite) and GCS (the test-utils server). Every task must be
 * claimed and completed exactly once, be `success` in the store afterwards, and no file may
 * have been read as corrupt (on S3 the test layer makes s3rver's writes atomic, see
 * `untilStored` in test-utils' s3-proxy.ts).
 *
 * Size: the full 2,000 tasks on GCS (~50 s here); 250 on S3 and Azure by default, whose test
 * servers are ~10x slower (s3rver and Azurite: 2,000 tasks take ~4.5 minutes each on this
 * 2-core machine, ~35,000 real HTTP requests through the real SDKs: enqueue 4,000, the race
 * runner's warm-up `count()` 2 reads per task per child, the race ~7 per task, the final check
 * 1 per task). All three at full size, by hand:
 * `OMNIQ_CLOUD_RACE_TASKS=2000 npx vitest run test/cloud-race.test.ts`
 * (`OMNIQ_CLOUD_RACE_BATCH=10` claims with dequeueMany of 10). A fourth race, 1,000 tasks on GCS
 * claimed and completed 10 per call, has the claims and completions of one call in flight
 * together (`requestConcurrency`) while 4 processes contend for the same tasks.
 */
import { type ClaimRaceResult, runClaimRace } from "@omniq/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTargetUrl } from "../src/index.js";
import { createTarget } from "../src/targets/create-target.js";
import {
  type CloudKind,
  type CloudServers,
  type CloudWhere,
  startCloudServers,
} from "./cloud-servers.js";

const BUCKET = "omniq-cloud-race";
const FULL = 2000;
const sizeOf = (kind: "s3" | "azure" | "gcs"): number =>
  Number(process.env.OMNIQ_CLOUD_RACE_TASKS ?? (kind === "gcs" ? FULL : 250));
const PROCESSES = 4;
const BATCH = Number(process.env.OMNIQ_CLOUD_RACE_BATCH ?? 1);
// Generous: the race must finish, however slow the machine; its duration is only reported.
const timeoutOf = (tasks: number): number => 60_000 + tasks * 300;
const factoryModule = new URL("./fixtures/cloud-factory.mjs", import.meta.url).href;

let servers: CloudServers | undefined;

beforeAll(async () => {
  servers = await startCloudServers(BUCKET);
});

afterAll(async () => {
  await servers?.stop();
});

/** A fresh location on `kind`'s server for one race (`label` defaults to the kind). */
const whereOf = (kind: CloudKind, label: string = kind): CloudWhere =>
  servers!.where(kind, `race-${label}-${process.pid}-${Date.now().toString(36)}`);

/** Races PROCESSES processes for `sizeOf(kind)` tasks on `where`: each ran exactly once. */
async function race(
  kind: CloudKind,
  where: CloudWhere,
  { tasks = sizeOf(kind), batch = BATCH }: { tasks?: number; batch?: number } = {},
): Promise<void> {
  const r = await runClaimRace({
    processes: PROCESSES,
    tasks,
    batch,
    factoryModule,
    factoryArg: where,
    timeoutMs: timeoutOf(tasks),
  });
  expectExactlyOnce(kind, tasks, batch, r);
  // Nothing was set aside as corrupt (what a torn or half-written read would cause).
  const target = await createTarget(parseTargetUrl(where.url, where.storageOptions));
  try {
    const corrupt = (await target.list({ prefix: "corrupt/" })).entries.map((e) => e.key);
    // On S3 too: the conditional layer answers a PUT only once s3rver's file holds the body
    // (s3rver 3.7 itself answers before its write finished, which served truncated objects).
    expect(corrupt).toEqual([]);
  } finally {
    await target.close();
  }
}

function expectExactlyOnce(kind: string, tasks: number, batch: number, r: ClaimRaceResult): void {
  console.log(
    `${kind} race: ${r.claimed} claims of ${tasks} tasks by ${PROCESSES} processes (batch ${batch}) in ${Math.round(r.elapsedMs)} ms, per process ${r.perProcess.join("/")}`,
  );
  expect(r.duplicates).toEqual([]);
  expect(r.missing).toEqual([]);
  expect(r.claimed).toBe(tasks);
  expect(r.perProcess.reduce((a, b) => a + b, 0)).toBe(tasks);
  // Every process got a share: the claims really raced.
  expect(Math.min(...r.perProcess)).toBeGreaterThan(0);
}

describe(`cross-process claim race on the cloud targets (${PROCESSES} processes)`, () => {
  it(
    `S3, ${sizeOf("s3")} tasks: every task claimed and completed exactly once`,
    async () => {
      await race("s3", whereOf("s3"));
    },
    timeoutOf(sizeOf("s3")) + 60_000,
  );

  it(
    `Azure, ${sizeOf("azure")} tasks: every task claimed and completed exactly once`,
    async () => {
      await race("azure", whereOf("azure"));
    },
    timeoutOf(sizeOf("azure")) + 60_000,
  );

  it(
    `GCS, ${sizeOf("gcs")} tasks: every task claimed and completed exactly once`,
    async () => {
      await race("gcs", whereOf("gcs"));
    },
    timeoutOf(sizeOf("gcs")) + 60_000,
  );

  it(
    "GCS, 1000 tasks claimed in batches of 10 (claims of one call in flight together): exactly once",
    async () => {
      await race("gcs", whereOf("gcs", "gcs-batch"), { tasks: 1000, batch: 10 });
    },
    timeoutOf(1000) + 60_000,
  );
});
