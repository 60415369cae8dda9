/**
 * A worker process killed with SIGKILL mid-task on S3 (s3rver behind the conditional-write
 * layer): its task comes back after the lease, the dead worker's id can no longer complete it,
 * and it completes exactly once (the local-disk twin is crash.test.ts).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type S3Server, startS3 } from "@omniq/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncFileQueue } from "../src/index.js";

const BUCKET = "omniq-cloud-crash";
const LEASE_MS = 4000;
const worker = fileURLToPath(new URL("./fixtures/cloud-crash-worker.mjs", import.meta.url));

let s3: S3Server;

beforeAll(async () => {
  s3 = await startS3();
  await s3.bucket(BUCKET);
});

afterAll(async () => {
  await s3?.stop();
});

/** Starts the crash worker and resolves with the id it claimed and its process. */
function claimInChild(where: object) {
  const child = spawn(process.execPath, [worker, JSON.stringify({ ...where, leaseMs: LEASE_MS })], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  return new Promise<{ id: string; child: typeof child }>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /claimed (\S+)/.exec(out);
      if (m) resolve({ id: m[1]!, child });
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`worker exited early (${code ?? signal}): ${out}`)),
    );
  });
}

describe("a worker killed with SIGKILL mid-task (S3)", () => {
  it("its task comes back after the lease and is completed exactly once", async () => {
    const where = {
      url: `s3://${BUCKET}/crash-${process.pid}-${Date.now().toString(36)}`,
      storageOptions: {
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      },
    };
    const queue = new AsyncFileQueue({ ...where, listCacheMs: 0 });
    try {
      const task = await queue.enqueue({ name: "work", args: [1] });
      const { id, child } = await claimInChild(where);
      expect(id).toBe(task.id);
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;

      const held = await queue.get(id);
      expect(held).toMatchObject({ status: "running", workerId: "doomed", attempts: 1 });
      const leaseUntil = held!.leaseUntil!.getTime();
      // Nothing to claim or recover while the dead worker's lease still runs (checked only
      // with a good margin left: a loaded machine can take a second or more per call).
      if (Date.now() < leaseUntil - 2000) {
        expect(await queue.dequeue({ workerId: "survivor" })).toBeNull();
        expect(await queue.recoverExpiredLeases()).toEqual([]);
      }

      let recovered: string[] = [];
      const deadline = Date.now() + 20_000;
      while (recovered.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        recovered = (await queue.recoverExpiredLeases()).map((t) => t.id);
      }
      expect(recovered).toEqual([id]);
      expect(Date.now()).toBeGreaterThanOrEqual(leaseUntil);
      expect(await queue.get(id)).toMatchObject({ status: "pending", attempts: 1, workerId: null });

      const again = await queue.dequeue({ workerId: "survivor" });
      expect(again).toMatchObject({ id, attempts: 2, workerId: "survivor" });
      // The dead worker's identity can no longer finish it; the survivor does, once.
      await expect(queue.complete(id, "doomed")).rejects.toMatchObject({ code: "lease_lost" });
      expect(await queue.complete(id, "survivor")).toMatchObject({ status: "success" });
      await expect(queue.complete(id, "survivor")).rejects.toMatchObject({ code: "lease_lost" });
      expect(await queue.dequeue({ workerId: "survivor" })).toBeNull();
      expect(await queue.recoverExpiredLeases()).toEqual([]);
      expect(await queue.count({ statuses: ["success"] })).toBe(1);
      expect(await queue.count()).toBe(1);
    } finally {
      await queue.close();
    }
  }, 60_000);
});
