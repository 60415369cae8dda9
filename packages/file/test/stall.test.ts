/**
 * A worker process frozen (SIGSTOP) past its leases while it holds tasks it claimed ahead,
 * then thawed (SIGCONT): meanwhile another process recovered those tasks and ran them, so the
 * thawed one must not start them (core's worker reads the task before starting a claimed-ahead
 * task whose lease may have run out; docs/worker.md, "Claiming ahead"). The chaos test on GCS
 * once failed this way under load (a process started five tasks two live processes held);
 * this reproduces the stall on purpose, on local disk, with the full runtime in each process
 * (`fixtures/chaos-worker.mjs`). Without that check the thawed worker starts the tasks the
 * other one had already run.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { WorkerOptions } from "@omniq/core";
import { afterAll, expect, it } from "vitest";
import { FileBackend } from "../src/index.js";
import {
  enqueueNumbered,
  type LogEntry,
  type Proc,
  readStarts,
  startWorker,
} from "./chaos-workers.js";
import { tempDir } from "./helpers.js";

const TASKS = 400;
const LEASE_MS = 2000;
/** How long the first worker stays frozen: its leases run out and the other one recovers them. */
const FROZEN_MS = 3 * LEASE_MS;
const live = new Set<Proc>();

afterAll(async () => {
  for (const w of live) {
    w.child.kill("SIGCONT");
    w.child.kill("SIGKILL");
  }
  await Promise.all([...live].map((w) => w.exited));
});

const now = () => performance.timeOrigin + performance.now();

/** Task ids in `log` with an entry by `pid`. */
function idsBy(log: Map<string, LogEntry[]>, pid: number) {
  const out = new Set<string>();
  for (const [id, list] of log) if (list.some((e) => e.pid === pid)) out.add(id);
  return out;
}

async function until(what: string, deadlineMs: number, ok: () => Promise<boolean> | boolean) {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

it("a worker thawed after its leases ran out does not start the tasks it had claimed ahead", async () => {
  const base = tempDir("stall");
  const logDir = join(base, "starts");
  mkdirSync(logDir);
  const where = { baseDir: join(base, "store") };
  const backend = new FileBackend(where);
  const queue = backend.queue();
  const ids = await enqueueNumbered(queue, "stall", TASKS, "stall.job");
  // One slot and a 3 ms handler: the worker claims ~15 ahead (its prefetch window is 50 ms).
  const worker: Omit<WorkerOptions, "executor" | "logger"> = {
    concurrency: 1,
    leaseMs: LEASE_MS,
    maintenanceMs: 200,
    pollIntervalMs: { min: 5, max: 200 },
    gracefulStopMs: 2000,
  };
  const config = { where, logDir, task: "stall.job", sleepMs: 3, worker };
  const spawn = () => {
    const w = startWorker(config);
    live.add(w);
    return w;
  };

  const a = spawn();
  // Freeze `a` once it runs steadily with tasks claimed ahead.
  await until("the first worker to claim ahead", 60_000, () => {
    const started = idsBy(readStarts(logDir), a.pid).size;
    return started >= 50 && idsBy(readStarts(logDir, ".claims"), a.pid).size - started >= 5;
  });
  a.child.kill("SIGSTOP");
  const frozenAt = now();
  let thawedAt = Number.NaN;
  let b: Proc | undefined;
  try {
    // What `a` held when it froze (its logs do not change while it is stopped).
    const startedBefore = idsBy(readStarts(logDir), a.pid);
    const ahead = [...idsBy(readStarts(logDir, ".claims"), a.pid)].filter(
      (id) => !startedBefore.has(id),
    );
    expect(ahead.length).toBeGreaterThan(0);

    b = spawn();
    await sleep(FROZEN_MS);
    a.child.kill("SIGCONT");
    thawedAt = now();
    await until("every task to succeed", 90_000, async () => {
      return (await queue.count({ statuses: ["success"] })) === TASKS;
    });

    const starts = readStarts(logDir);
    const bPid = b.pid;
    // The scenario happened: `b` ran tasks that `a` had claimed ahead before it froze.
    const takenOver = ahead.filter((id) => starts.get(id)?.some((s) => s.pid === bPid));
    expect(takenOver.length).toBeGreaterThan(0);
    // ...and `a`, thawed, started none of those (nor any task it claimed before freezing and
    // `b` ran): each would be a second run of a task whose lease `a` had lost.
    const twice = ids.flatMap((id) => {
      const list = starts.get(id) ?? [];
      const byA = list.filter((s) => s.pid === a.pid && s.at > frozenAt);
      const byB = list.some((s) => s.pid === bPid);
      return byA.length > 0 && byB && ahead.includes(id) ? [`${id}: ${JSON.stringify(list)}`] : [];
    });
    const givebacks = idsBy(readStarts(logDir, ".givebacks"), a.pid);
    expect(twice, `given back by the thawed worker: ${givebacks.size}`).toEqual([]);
    expect(await queue.count({ statuses: ["success"] })).toBe(TASKS);
    console.log(
      `stall: ${ahead.length} claimed ahead when frozen, ${takenOver.length} run by the other ` +
        `worker, ${givebacks.size} given back by the thawed one (${Math.round(thawedAt - frozenAt)} ms frozen)`,
    );
  } finally {
    a.child.kill("SIGCONT");
    for (const w of [a, b]) w?.child.kill("SIGTERM");
    await Promise.all([a.exited, b?.exited]);
    live.clear();
    await backend.close();
  }
}, 180_000);
