import type { ChildProcess } from "node:child_process";
import { POSTGRES_URL, REDIS_URL, removeTempDir, sleep, tempDir } from "../env.js";
import { forkTs, nextMessage, waitExit } from "../fork.js";
import { advantage, percentile, Suite } from "../harness.js";
import type { LatencySession, RuntimeCtx, RuntimeImpl } from "./runtime-impl.js";
import { RUNTIME_IMPLS } from "./runtime-impls.js";

export interface RuntimeSuiteOptions {
  /** Multiplies the task and sample counts. @defaultValue 1 */
  scale: number;
  /** Runs per throughput case. @defaultValue 3 */
  runs: number;
}

const WARMUP = 10;
/** Longest a latency case may take; a slow peer gets fewer samples (the count is shown). */
const LATENCY_BUDGET_MS = 30_000;
const SAMPLE_TIMEOUT_MS = 5_000;

/**
 * End to end with a no-op handler: throughput at concurrency 1 and 10 (tasks enqueued first,
 * then the time for a worker to drain them), and the latency from enqueue to handler start
 * with an idle worker, in the same process and in another process.
 */
export async function runtimeSuite(options: RuntimeSuiteOptions): Promise<Suite> {
  const suite = new Suite("runtime");
  const dir = tempDir("runtime");
  let seq = 0;
  const ctx = (): RuntimeCtx => ({
    dir,
    runId: `${process.pid}_${seq++}`,
    redisUrl: REDIS_URL,
    postgresUrl: POSTGRES_URL,
  });
  const n = Math.max(100, Math.round(5000 * options.scale));
  const samples = Math.max(20, Math.round(200 * options.scale));

  const skipped = new Map<string, string>();
  for (const impl of RUNTIME_IMPLS) {
    const why = await impl.available(ctx());
    if (why) skipped.set(impl.key, why);
  }

  const groups = {
    c1: `throughput, ${n.toLocaleString("en-US")} tasks, concurrency 1`,
    c10: `throughput, ${n.toLocaleString("en-US")} tasks, concurrency 10`,
    inProc: `latency enqueue→handler start, idle worker, same process (${samples} samples)`,
    crossProc: `latency enqueue→handler start, idle worker, another process (${samples} samples)`,
  };

  for (const [group, concurrency] of [
    [groups.c1, 1],
    [groups.c10, 10],
  ] as const) {
    for (const impl of RUNTIME_IMPLS) {
      const spec = {
        group,
        impl: impl.name,
        unit: "tasks/s",
        better: "higher" as const,
        runs: impl.key === "liteque" ? 1 : options.runs,
        note: impl.throughputNote(concurrency),
      };
      const why = skipped.get(impl.key);
      if (why) {
        suite.skip(spec, "skipped", why);
        continue;
      }
      // liteque's claim sorts every pending row: it drains 1/5 of the tasks (said in the note).
      const tasks = impl.key === "liteque" ? Math.max(100, Math.round(n / 5)) : n;
      if (tasks !== n)
        spec.note = `${tasks.toLocaleString("en-US")} tasks only (slow); ${spec.note}`;
      await suite.run(spec, async () => {
        const ms = await impl.drain(ctx(), tasks, concurrency);
        return (tasks / ms) * 1000;
      });
    }
  }

  for (const [group, cross] of [
    [groups.inProc, false],
    [groups.crossProc, true],
  ] as const) {
    for (const impl of RUNTIME_IMPLS) {
      const spec = {
        group,
        impl: impl.name,
        unit: "ms",
        better: "lower" as const,
        runs: 1,
        note: impl.latencyNote,
      };
      const why = skipped.get(impl.key);
      if (why) {
        suite.skip(spec, "skipped", why);
        continue;
      }
      let taken = samples;
      const result = await suite.run(spec, async () => {
        const r = cross
          ? await crossProcess(impl, ctx(), samples)
          : await inProcess(impl, ctx(), samples);
        taken = r.length;
        return { value: percentile(r, 50), p90: percentile(r, 90) };
      });
      if (taken < samples && result.status === "ok") {
        result.note = `${result.note}; ${taken} samples in the ${LATENCY_BUDGET_MS / 1000} s budget`;
      }
    }
  }

  removeTempDir(dir);
  addTargets(suite, groups);
  return suite;
}

/** Handler-start times by task index, filled by `onStart`. */
class StartWaiters {
  readonly #waiting = new Map<number, (t: number) => void>();

  wait(i: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(i);
        reject(new Error(`task ${i} did not start within ${SAMPLE_TIMEOUT_MS} ms`));
      }, SAMPLE_TIMEOUT_MS);
      this.#waiting.set(i, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }

  started(i: number, t: number): void {
    const w = this.#waiting.get(i);
    this.#waiting.delete(i);
    w?.(t);
  }
}

/**
 * Enqueues one task at a time (the worker idle), waits for its handler to start, records
 * the gap, then pauses 2-6 ms. The first {@link WARMUP} samples are not kept.
 */
async function sample(
  session: LatencySession,
  waiters: StartWaiters,
  clock: () => number,
  samples: number,
): Promise<number[]> {
  const out: number[] = [];
  const began = performance.now();
  for (let i = 0; i < WARMUP + samples; i++) {
    const started = waiters.wait(i);
    const t0 = clock();
    await session.enqueue(i);
    const t1 = await started;
    if (i >= WARMUP) out.push(t1 - t0);
    await sleep(2 + Math.random() * 4);
    if (performance.now() - began > LATENCY_BUDGET_MS && out.length >= 10) break;
  }
  return out;
}

async function inProcess(impl: RuntimeImpl, ctx: RuntimeCtx, samples: number): Promise<number[]> {
  const waiters = new StartWaiters();
  await impl.setup?.(ctx);
  const session = await impl.open(ctx, {
    producer: true,
    worker: true,
    onStart: (i) => waiters.started(i, performance.now()),
  });
  try {
    return await sample(session, waiters, () => performance.now(), samples);
  } finally {
    await session.close();
    await impl.teardown?.(ctx);
  }
}

async function crossProcess(
  impl: RuntimeImpl,
  ctx: RuntimeCtx,
  samples: number,
): Promise<number[]> {
  const waiters = new StartWaiters();
  await impl.setup?.(ctx);
  let child: ChildProcess | undefined;
  let session: LatencySession | undefined;
  try {
    child = forkTs("./runtime/latency-child.ts", [impl.key, JSON.stringify(ctx)]);
    child.on("message", (m: { type: string; i: number; t: number }) => {
      if (m?.type === "start") waiters.started(m.i, m.t);
    });
    await nextMessage(child, "ready");
    session = await impl.open(ctx, { producer: true, worker: false });
    return await sample(
      session,
      waiters,
      () => performance.timeOrigin + performance.now(),
      samples,
    );
  } finally {
    await session?.close();
    if (child?.connected) {
      const stopped = nextMessage(child, "stopped", 15_000).catch(() => undefined);
      child.send("stop");
      await stopped;
    }
    if (child) await waitExit(child);
    await impl.teardown?.(ctx);
  }
}

function addTargets(
  suite: Suite,
  groups: Record<"c1" | "c10" | "inProc" | "crossProc", string>,
): void {
  const ok = (group: string, impl: string) => {
    const c = suite.find(group, impl);
    return c?.status === "ok" ? c.median : null;
  };
  const c10 = ok(groups.c10, "OmniQ");
  suite.target(
    "≥ 30k tasks/s at concurrency 10",
    c10,
    (v) => v >= 30_000,
    `${Math.round(c10 ?? 0).toLocaleString("en-US")} tasks/s`,
  );
  for (const [label, group] of [
    ["concurrency 10", groups.c10],
    ["concurrency 1", groups.c1],
  ] as const) {
    const omniq = ok(group, "OmniQ");
    const peers = suite.cases.filter(
      (c) => c.group === group && !c.impl.startsWith("OmniQ") && c.status === "ok",
    );
    const best = peers.sort((a, b) => b.median! - a.median!)[0];
    const times = omniq !== null && best ? advantage(omniq, best.median!, "higher") : null;
    suite.target(
      `≥ 4× the best peer (${label})`,
      times,
      (v) => v >= 4,
      best ? `${(times ?? 0).toFixed(2)}× ${best.impl}${skippedNote(suite, group)}` : "no peer ran",
    );
  }
  const inProc = ok(groups.inProc, "OmniQ");
  suite.target(
    "latency p50 ≤ 1 ms in-process",
    inProc,
    (v) => v <= 1,
    `${(inProc ?? 0).toFixed(2)} ms`,
  );
  const cross = ok(groups.crossProc, "OmniQ");
  suite.target(
    "latency p50 ≤ 10 ms across processes",
    cross,
    (v) => v <= 10,
    `${(cross ?? 0).toFixed(2)} ms`,
  );
}

/** Names the peers of a group that did not run (the "best peer" is the best that did). */
function skippedNote(suite: Suite, group: string): string {
  const names = suite.cases
    .filter((c) => c.group === group && c.status !== "ok")
    .map((c) => c.impl.split(" ")[0]);
  return names.length === 0 ? "" : ` (not run: ${names.join(", ")})`;
}
