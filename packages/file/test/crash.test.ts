import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AsyncFileQueue } from "../src/index.js";
import { tempDir } from "./helpers.js";

const worker = fileURLToPath(new URL("./fixtures/crash-worker.mjs", import.meta.url));

/** Starts the crash worker and resolves with the id it claimed and its process. */
function claimInChild(baseDir: string, leaseMs: number) {
  const child = spawn(process.execPath, [worker, baseDir, String(leaseMs)], {
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

describe("a worker killed with SIGKILL mid-task (local disk)", () => {
  it("its task comes back after the lease and is completed exactly once", async () => {
    const baseDir = tempDir("crash");
    const queue = new AsyncFileQueue({ baseDir, listCacheMs: 0 });
    try {
      const task = await queue.enqueue({ name: "work", args: [1] });
      const { id, child } = await claimInChild(baseDir, 1500);
      expect(id).toBe(task.id);
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;

      expect(await queue.get(id)).toMatchObject({ status: "running", workerId: "doomed" });
      expect(await queue.dequeue({ workerId: "survivor" })).toBeNull();
      // Nothing to recover while the dead worker's lease still runs.
      expect(await queue.recoverExpiredLeases()).toEqual([]);

      let recovered: string[] = [];
      for (let i = 0; i < 100 && recovered.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        recovered = (await queue.recoverExpiredLeases()).map((t) => t.id);
      }
      expect(recovered).toEqual([id]);
      expect(await queue.get(id)).toMatchObject({ status: "pending", attempts: 1, workerId: null });

      const again = await queue.dequeue({ workerId: "survivor" });
      expect(again).toMatchObject({ id, attempts: 2, workerId: "survivor" });
      // The dead worker's identity can no longer finish it; the survivor does, once.
      await expect(queue.complete(id, "doomed")).rejects.toMatchObject({ code: "lease_lost" });
      expect(await queue.complete(id, "survivor")).toMatchObject({ status: "success" });
      await expect(queue.complete(id, "survivor")).rejects.toMatchObject({ code: "lease_lost" });
      expect(await queue.dequeue({ workerId: "survivor" })).toBeNull();
      expect(await queue.count({ statuses: ["success"] })).toBe(1);
      expect(await queue.count()).toBe(1);
    } finally {
      await queue.close();
    }
  }, 30_000);
});
